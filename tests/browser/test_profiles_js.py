"""Profiles, PINs and what is kept under a profile key (pwa/common/profiles.js, pwa/common/vault.js,
pwa/common/db.js), in real Chromium on the test harness page: the PIN rules, a wrong PIN as an AES-GCM
failure counted before it is tried, ciphertexts bound to their profile and purpose, a version 1
device's enrolment becoming its first profile, and a service worker that never makes a database."""

from __future__ import annotations

PIN = "482916"

# A profile as an enrolment makes it: a real device key, an enrolment, a keyring.
NEW_PROFILE = """async (name) => {
    const device = await lantern.deviceModule.createDevice();
    const enrolment = { school: { id: "5d1f0c8e-5a4f-4e57-9b1a-111111111111", name: "Test School" },
                        person: { id: crypto.randomUUID(), name, role: "staff" }, deviceKeyId: device.keyId,
                        trustPublicKeyRaw: new Uint8Array(65) };
    return lantern.profiles.addProfile(lantern.app().db, device, enrolment, { version: 1 });
}"""


def fresh(page) -> None:
    page.evaluate("() => lantern.freshApp()")


def test_pins_too_short_too_obvious_or_mistyped_are_refused(page):
    out = page.evaluate(
        """(cases) => cases.map(([pin, again]) => {
            try { lantern.profiles.checkNewPin(pin, again); return "ok"; } catch (e) { return e.code; }
        })""",
        [["48291", "48291"], ["123456", "123456"], ["987654", "987654"], ["000000", "000000"],
         ["aaaaaaaa", "aaaaaaaa"], ["482916", "482917"], [" 482916 ", "482916"], ["horse battery", "horse battery"],
         ["901234", "901234"]],
    )
    assert out == ["pin_short", "pin_simple", "pin_simple", "pin_simple", "pin_simple", "pin_mismatch", "ok", "ok",
                   "pin_simple"]


def test_a_wrong_pin_fails_aes_gcm_and_is_counted_before_it_is_tried(page):
    fresh(page)
    out = page.evaluate(
        """async ([newProfile, pin]) => {
            const { profiles, vault, db } = lantern;
            const a = lantern.app();
            const profile = await eval(newProfile)("Alex");
            const key = await profiles.setPin(a.db, profile.id, pin, pin);
            const sealed = await vault.sealLocal(key, "draft", profile.id, { words: "kept" });
            const stored = await db.get(a.db, "profiles", profile.id);
            const wrong = await lantern.outcome(() => profiles.unlock(a.db, profile.id, "111222"));
            const counted = (await db.get(a.db, "profiles", profile.id)).failures;
            const again = await profiles.unlock(a.db, profile.id, " " + pin);
            const opened = await vault.openLocal(again, "draft", profile.id, sealed);
            const second = await lantern.outcome(() => profiles.setPin(a.db, profile.id, "555777", "555777"));
            return {
                wrong: wrong.error, counted, opened, second: second.error,
                reset: (await db.get(a.db, "profiles", profile.id)).failures,
                extractable: again.extractable, usages: again.usages.sort(),
                lock: { salt: stored.lock.salt.length, iv: stored.lock.iv.length, wrapped: stored.lock.wrapped.length,
                        iterations: stored.lock.iterations },
            };
        }""",
        [NEW_PROFILE, PIN],
    )
    assert out["wrong"] == "wrong_pin" and out["counted"] == 1 and out["reset"] == 0
    assert out["opened"] == {"words": "kept"}  # the key the right PIN unwraps is the same key
    assert out["second"] == "no_pin"  # a PIN is chosen once
    assert out["extractable"] is False and out["usages"] == ["decrypt", "encrypt"]
    # A 256-bit key wrapped with AES-GCM (32 + 16-byte tag) under a PBKDF2 key, 600,000 iterations.
    assert out["lock"] == {"salt": 16, "iv": 12, "wrapped": 48, "iterations": 600000}


def test_what_is_sealed_for_one_profile_and_purpose_opens_for_no_other(page):
    fresh(page)
    out = page.evaluate(
        """async ([newProfile, pin]) => {
            const { profiles, vault, db } = lantern;
            const a = lantern.app();
            const alex = await eval(newProfile)("Alex");
            const blake = await eval(newProfile)("Blake");
            const alexKey = await profiles.setPin(a.db, alex.id, pin, pin);
            await profiles.setPin(a.db, blake.id, pin, pin);  // the same PIN, by chance
            const draft = await vault.sealLocal(alexKey, "draft", alex.id, { words: "Alex's" });
            const tries = {
                asBlakesDraft: await lantern.outcome(() => vault.openLocal(alexKey, "draft", blake.id, draft)),
                asACopy: await lantern.outcome(() => vault.openLocal(alexKey, "copy", alex.id, draft)),
            };
            // Alex's wrapped key moved into Blake's record does not unwrap, even with the right PIN.
            const alexLock = (await db.get(a.db, "profiles", alex.id)).lock;
            const stored = await db.get(a.db, "profiles", blake.id);
            await db.put(a.db, "profiles", Object.assign(stored, { lock: alexLock }));
            tries.swappedKey = await lantern.outcome(() => profiles.unlock(a.db, blake.id, pin));
            return Object.fromEntries(Object.entries(tries).map(([k, v]) => [k, v.error || "opened"]));
        }""",
        [NEW_PROFILE, PIN],
    )
    assert out == {"asBlakesDraft": "OperationError", "asACopy": "OperationError", "swappedKey": "wrong_pin"}


def test_waits_grow_and_the_tenth_wrong_pin_erases_the_profile_key_and_its_data(page):
    fresh(page)
    out = page.evaluate(
        """async ([newProfile, pin]) => {
            const { profiles, vault, db } = lantern;
            const a = lantern.app();
            const p = await eval(newProfile)("Alex");
            const key = await profiles.setPin(a.db, p.id, pin, pin);
            const sealed = await vault.sealLocal(key, "draft", p.id, { words: "draft" });
            await db.put(a.db, "drafts", { profileId: p.id, iv: sealed.iv, data: sealed.data });
            const copy = await vault.sealLocal(key, "copy", "rec-1", { content: {} });
            await db.put(a.db, "copies", { recordId: "rec-1", profileId: p.id, iv: copy.iv, data: copy.data });
            let now = Date.now();
            const seen = [];
            for (let i = 0; i < 10; i++) {
                const r = await lantern.outcome(() => profiles.unlock(a.db, p.id, "111222", now));
                const stored = await db.get(a.db, "profiles", p.id);
                const wait = stored.retryAt > now ? Math.round((stored.retryAt - now) / 1000) : 0;
                // Within a wait even the right PIN is refused (and not counted).
                const early = wait && i < 9 ? await lantern.outcome(() => profiles.unlock(a.db, p.id, pin, now + 1000)) : null;
                seen.push([r.error, wait, early && (early.error || "unlocked")]);
                now += 5 * 3600 * 1000;
            }
            const after = await lantern.outcome(() => profiles.unlock(a.db, p.id, pin, now));
            const stored = await db.get(a.db, "profiles", p.id);
            return { seen, after: after.error, lock: stored.lock, lockedOut: stored.lockedOut,
                     drafts: (await db.getAll(a.db, "drafts")).length, copies: (await db.getAll(a.db, "copies")).length,
                     device: !!stored.device.privateKey };
        }""",
        [NEW_PROFILE, PIN],
    )
    assert [e for e, _, _ in out["seen"]] == ["wrong_pin"] * 9 + ["locked_out"]
    assert [w for _, w, _ in out["seen"]][:9] == [0, 0, 0, 30, 60, 300, 900, 3600, 14400]
    assert [e for _, _, e in out["seen"]][:9] == [None] * 3 + ["wait"] * 6
    assert out["after"] == "locked_out" and out["lockedOut"] is True and out["lock"] is None
    assert out["drafts"] == 0 and out["copies"] == 0
    assert out["device"] is True  # the device key stays: what was sealed still goes out


def test_a_version_1_device_becomes_its_first_profile_with_its_notes(page):
    out = page.evaluate(
        """async () => {
            await lantern.freshDb();
            // Close the harness's connection and make a version 1 database by hand, as the old app left it.
            const old = await new Promise((resolve, reject) => {
                const del = indexedDB.deleteDatabase("lantern");
                del.onsuccess = () => resolve();
                del.onerror = () => reject(del.error);
                del.onblocked = () => resolve();
            }).then(() => new Promise((resolve, reject) => {
                const r = indexedDB.open("lantern", 1);
                r.onupgradeneeded = () => {
                    r.result.createObjectStore("settings");
                    r.result.createObjectStore("outbox", { keyPath: "recordId" });
                    r.result.createObjectStore("sent", { keyPath: "recordId" });
                };
                r.onsuccess = () => resolve(r.result);
                r.onerror = () => reject(r.error);
            }));
            const device = await lantern.deviceModule.createDevice();
            await new Promise((resolve) => {
                const tx = old.transaction(["settings", "outbox", "sent"], "readwrite");
                tx.objectStore("settings").put(device, "device");
                tx.objectStore("settings").put({ school: { id: "s", name: "Old School" }, person: { id: "p", name: "Old Teacher", role: "staff" },
                                                 trustPublicKeyRaw: new Uint8Array(65), enrolledAt: "2026-01-01T00:00:00Z" }, "enrolment");
                tx.objectStore("settings").put({ version: 3 }, "keyring");
                tx.objectStore("settings").put(1234, "clockOffsetMs");
                tx.objectStore("outbox").put({ recordId: "r1", envelope: new Uint8Array(4), savedAt: "2026-01-02", recipients: ["x"] });
                tx.objectStore("sent").put({ recordId: "r0", savedAt: "2026-01-01", received: true, opened: false });
                tx.oncomplete = resolve;
            });
            old.close();
            const db = await lantern.db.openDb();
            const [profile] = await lantern.profiles.listProfiles(db);
            const keys = await lantern.db.transaction(db, "settings", "readonly", (s) => lantern.db.requestValue(s.settings.getAllKeys()));
            const outbox = await lantern.db.getAll(db, "outbox");
            const sent = await lantern.db.getAll(db, "sent");
            const byProfile = await lantern.db.getAllBy(db, "outbox", "profileId", profile.id);
            const out = {
                version: db.version, stores: Array.from(db.objectStoreNames).sort(), person: profile.enrolment.person.name,
                keyId: profile.device.keyId === device.keyId, usable: profile.device.privateKey instanceof CryptoKey,
                lock: profile.lock, settings: keys.sort(), keyring: (await lantern.keyring.loadKeyring(db, profile.id)).version,
                outbox: outbox.map((i) => i.profileId === profile.id), sent: sent.map((i) => i.profileId === profile.id),
                indexed: byProfile.length, state: lantern.profiles.unlockState(profile).state,
            };
            db.close();
            return out;
        }"""
    )
    assert out["version"] == 2
    assert out["stores"] == ["copies", "drafts", "outbox", "profiles", "sent", "settings"]
    assert out["person"] == "Old Teacher" and out["keyId"] and out["usable"]
    assert out["lock"] is None and out["state"] == "no_pin"  # its person chooses a PIN when they next open the app
    assert out["settings"][0] == "clockOffsetMs" and out["settings"][1].startswith("keyring:") and len(out["settings"]) == 2
    assert out["keyring"] == 3
    assert out["outbox"] == [True] and out["sent"] == [True] and out["indexed"] == 1


def test_the_service_worker_never_creates_or_upgrades_the_database(page):
    out = page.evaluate(
        """async () => {
            await lantern.freshDb();
            const present = await lantern.db.openDb({ existing: true });
            present.close();
            await new Promise((resolve) => { const d = indexedDB.deleteDatabase("lantern"); d.onsuccess = resolve; d.onblocked = resolve; });
            const absent = await lantern.db.openDb({ existing: true });
            const names = (await indexedDB.databases()).map((d) => d.name);
            return { present: present.version, absent, names };
        }"""
    )
    assert out == {"present": 2, "absent": None, "names": []}


def test_a_private_key_kept_under_a_profile_key_comes_back_usable_and_never_readable(page):
    """The team's recipient key (pwa/team/recipient-key.js) is kept this way: sealed under its owner's
    profile key, opened non-extractable, bound to what it is and whose."""
    fresh(page)
    out = page.evaluate(
        """async ([newProfile, pin]) => {
            const { profiles, vault } = lantern;
            const a = lantern.app();
            const p = await eval(newProfile)("Alex");
            const key = await profiles.setPin(a.db, p.id, pin, pin);
            const ecdh = { name: "ECDH", namedCurve: "P-256" };
            const pair = await crypto.subtle.generateKey(ecdh, true, ["deriveBits"]);
            const peer = await crypto.subtle.generateKey(ecdh, false, ["deriveBits"]);
            const sealed = await vault.sealPrivateKey(key, "recipient-key", "device-1", pair.privateKey);
            const opened = await vault.openPrivateKey(key, "recipient-key", "device-1", sealed);
            const bits = async (k) => lantern.bytes.toHex(new Uint8Array(await crypto.subtle.deriveBits(
                { name: "ECDH", public: peer.publicKey }, k, 256)));
            const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
            return {
                same: (await bits(opened)) === (await bits(pair.privateKey)),
                extractable: opened.extractable, usages: opened.usages,
                exported: await crypto.subtle.exportKey("pkcs8", opened).then(() => "exported", (e) => e.name),
                otherDevice: (await lantern.outcome(() => vault.openPrivateKey(key, "recipient-key", "device-2", sealed))).error,
                asDraft: (await lantern.outcome(() => vault.openLocal(key, "draft", "device-1", sealed))).error,
                // The sealed bytes do not hold the key's PKCS#8 (nor its last 32 bytes, the private scalar's region).
                plainInside: lantern.bytes.toHex(sealed.data).includes(lantern.bytes.toHex(pkcs8.slice(-32))),
            };
        }""",
        [NEW_PROFILE, PIN],
    )
    assert out == {"same": True, "extractable": False, "usages": ["deriveBits"], "exported": "InvalidAccessError",
                   "otherDevice": "OperationError", "asDraft": "OperationError", "plainInside": False}
