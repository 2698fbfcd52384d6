// The inactivity lock: a shared tablet left on a table must not stay open as the last person who used
// it. After IDLE_LOCK_MS with no touch, click, key or typing, `onIdle` runs (the app saves the draft
// and locks). Time is read from the wall clock, which keeps running while a tablet sleeps and timers
// do not: so the first touch after a long sleep locks rather than counting as activity.

export const IDLE_LOCK_MS = 5 * 60 * 1000;
const CHECK_EVERY_MS = 1000; // a comparison a second: nothing, even on an old tablet
const ACTIVITY = ["pointerdown", "keydown", "input", "wheel", "touchstart"];

export function createIdleLock({ onIdle, timeoutMs = IDLE_LOCK_MS, now = () => Date.now() }) {
  let last = 0;
  let timer = null;

  function expired() {
    const elapsed = now() - last;
    if (elapsed < 0) last = now(); // the clock went back: start counting again from here
    return elapsed >= timeoutMs;
  }

  function check() {
    if (timer !== null && expired()) {
      stop();
      onIdle();
    }
  }

  // Capturing, before the event reaches the page: an event that comes too late locks, and the lock
  // screen replaces what it was aimed at.
  function activity() {
    if (timer === null) return;
    if (expired()) check();
    else last = now();
  }

  function onVisibility() {
    if (document.visibilityState === "visible") check();
  }

  function start() {
    last = now();
    if (timer !== null) return;
    timer = setInterval(check, CHECK_EVERY_MS);
    for (const type of ACTIVITY) document.addEventListener(type, activity, { capture: true, passive: true });
    document.addEventListener("visibilitychange", onVisibility);
  }

  function stop() {
    if (timer === null) return;
    clearInterval(timer);
    timer = null;
    for (const type of ACTIVITY) document.removeEventListener(type, activity, { capture: true, passive: true });
    document.removeEventListener("visibilitychange", onVisibility);
  }

  return { start, stop };
}
