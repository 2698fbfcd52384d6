"""When the server forgets (docs/protocol.md, "When the server forgets"), in real headless Chromium: the
server is restored from a backup taken before a note was sent. The staff app learns from its status
poll that the server no longer holds the note, and sends it again from the envelope it kept; the DSL's
app, whose cursor had passed everything the restored server holds, pulls again from the start, keeps
what it had opened, and gets the note back once, as one case."""

from __future__ import annotations

from server.backup import back_up, restore
from tests.browser.staff_app import fill_minimal, join_demo, wait_count
from tests.browser.team_app import sync_now, team_page
from tests.conftest import backup_key, start_server, stop_server

MARKER = "amber-heron-5120"


def cursors(page) -> list[int]:
    return page.evaluate("""() => new Promise((resolve) => {
        const r = indexedDB.open('lantern-inbox');
        r.onsuccess = () => {
            const g = r.result.transaction('cursors').objectStore('cursors').getAll();
            g.onsuccess = () => resolve(g.result.map((c) => c.after));
        };
    })""")


def synced_until(page, done, tries: int = 100) -> bool:
    """Starts a sync, and another, until `done()`; whether it came."""
    for _ in range(tries):
        sync_now(page)
        page.wait_for_timeout(200)
        if done():
            return True
    return False


def test_a_restored_server_gets_the_lost_note_again_and_the_dsl_sees_it_once(browser, tmp_path):
    server = start_server(tmp_path / "data")
    try:
        dsl_context, dsl = team_page(browser, server, "dsl")
        staff_context, staff = join_demo(browser, server)
        fill_minimal(staff, words="Before the backup")
        staff.click("#save")
        wait_count(staff, "outbox-count", 0)
        sync_now(dsl)
        dsl.wait_for_function("document.body.dataset.inbox === '1'")

        backup = tmp_path / "backup.db.age"
        key, recipient = backup_key(tmp_path)
        back_up(server.database, backup, recipient)

        fill_minimal(staff, words=f"After the backup {MARKER}")
        staff.click("#save")
        wait_count(staff, "outbox-count", 0)
        sync_now(dsl)
        dsl.wait_for_function("document.body.dataset.inbox === '2'")
        (record_id,) = server.query("SELECT record_id FROM envelopes ORDER BY seq DESC LIMIT 1")

        # The staff app is kept off the network until the DSL's app has synced: its own timers would
        # otherwise send the lost note again first, and the DSL's cursor would go past it, not back.
        staff_context.set_offline(True)
        port = int(server.url.rsplit(":", 1)[1])
        stop_server(server)
        restore(backup, server.database, key)
        server = start_server(server.data_dir, port=port)
        assert server.query("SELECT COUNT(*) FROM envelopes WHERE record_id = ?", *record_id) == [(0,)]

        # The DSL's app syncs first: its cursor is past all the server holds, so it pulls from the start.
        (kept,) = server.query("SELECT seq FROM envelopes")[0]
        assert synced_until(dsl, lambda: cursors(dsl) == [kept])
        assert dsl.evaluate("document.body.dataset.inbox") == "2"  # what it had opened stays

        # The staff app's next sync asks what became of its notes, and sends the lost one again.
        staff_context.set_offline(False)
        assert synced_until(staff, lambda: server.query("SELECT COUNT(*) FROM envelopes WHERE record_id = ?", *record_id) == [(1,)])
        wait_count(staff, "outbox-count", 0)

        # The DSL's app gets the note back, once: still two cases.
        (seq,) = server.query("SELECT seq FROM envelopes WHERE record_id = ?", *record_id)[0]
        assert synced_until(dsl, lambda: cursors(dsl) == [seq])
        assert dsl.evaluate("document.body.dataset.inbox") == "2"
        assert dsl.locator("#inbox-list li.failed").count() == 0
        assert not staff.errors and not dsl.errors
        staff_context.close()
        dsl_context.close()
    finally:
        stop_server(server)
