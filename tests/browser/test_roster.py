"""The child roster in the real app (docs/protocol.md, "The roster"): the DSL imports the MIS's CSV and
publishes it sealed; a staff device gets it, opens it offline after its person's unlock, and the child
is picked from it into a note the DSL reads with the roster's id; nobody who has not unlocked can read
it on a shared tablet; a tablet set up later gets it at the DSL's next sync. Real Chromium, the real
demo server, its real SQLite file."""

from __future__ import annotations

import json

import pytest

from sync import note as sync_note
from tests.browser.staff_app import (
    add_demo_person, fill_minimal, join_demo, lock, screen_text, stored_bytes, unlock, wait_count,
)
from tests.browser.team_app import sync_now, team_page

# A SIMS-style export: a byte order mark, CRLF and LF line ends, a quoted comma, a row with no name.
CSV = (
    "\ufeffUPN,Legal Surname,Legal Forename,Preferred Forename,Date of Birth,Year,Reg Group\r\n"
    "A123456789012,Quillfeather,Zephyrine,Zeph,04/03/2017,Year 4,4B\r\n"
    "B111111111111,,,,01/01/2016,5,5A\r\n"
    '"B987654321098","Oddlestone, Jr",Barnaby,,2016-05-06,5,"5A"\n'
)
LABEL = 'Zephyrine Quillfeather "Zeph" (Year 4, 4B)'
SECRETS = (b"Zephyrine", b"Quillfeather", b"Oddlestone", b"A123456789012")


def roster_keys(server) -> int:
    return server.query("SELECT COUNT(*) FROM roster_keys")[0][0]


def wait_keys(page, server, count: int) -> None:
    """Until the server holds `count` roster keys (each app registers its own at its first sync)."""
    for _ in range(150):
        if roster_keys(server) >= count:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{roster_keys(server)} roster keys, wanted {count}")


def drop_file(page, selector: str, data: bytes, name: str = "pupils.csv") -> None:
    """Drags a file onto an element, as the DSL drags the MIS's export onto the app."""
    page.evaluate("""([selector, bytes, name]) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([new Uint8Array(bytes)], name, { type: "text/csv" }));
        document.querySelector(selector).dispatchEvent(
            new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }""", [selector, list(data), name])


def choices(page) -> list[str]:
    return page.eval_on_selector_all("#child-choices option", "(options) => options.map((o) => o.value)")


def test_the_dsl_publishes_the_roster_and_staff_pick_a_child_from_it_offline(browser, server):
    dsl_context, dsl = team_page(browser, server, "dsl")
    staff_context, staff = join_demo(browser, server)
    wait_keys(staff, server, 2)

    # The DSL imports the CSV: a preview first, with the row left out and why; then publishes it.
    assert dsl.is_visible("#roster") and not staff.is_visible("#roster")
    dsl.fill("#roster-csv", "Pupil number,Class\n1,4B\n")  # pasted, with no column of names
    dsl.get_by_role("button", name="Check the list").click()
    assert "No column of names was found" in dsl.inner_text("#roster-error")
    drop_file(dsl, "#roster-csv", CSV.encode())
    dsl.wait_for_function("document.body.dataset.rosterPreview === '2'")
    summary = dsl.inner_text("#roster-preview")
    assert "2 children in 3 rows. 1 row was left out:" in summary and "Row 3: no name." in summary
    dsl.get_by_role("button", name="Publish this list to your school's devices").click()
    dsl.wait_for_function("document.body.dataset.rosterPublished === '1'")
    assert "Published version 1 of your school's list (2 children) to 2 devices." in dsl.inner_text("#roster-state")
    assert LABEL in choices(dsl)  # the DSL's own devices pick children too

    # The staff device gets it at its next sync, then opens it with no network, after its unlock.
    sync_now(staff)
    staff.wait_for_function("document.body.dataset.roster === '1'")
    staff_context.set_offline(True)
    staff.reload()
    unlock(staff)
    staff.wait_for_function("document.body.dataset.roster === '1'")
    assert sorted(choices(staff)) == sorted([LABEL, "Barnaby Oddlestone, Jr (Year 5, 5A)"])
    assert staff.is_visible("#child-hint")
    fill_minimal(staff, child=LABEL, words="Said she had no breakfast again")
    staff.click("#save")
    wait_count(staff, "outbox-count", 1)
    # Free text still works for a child who is not on the list.
    fill_minimal(staff, child="A visitor's child", words="Was crying at the gate")
    staff.click("#save")
    wait_count(staff, "outbox-count", 2)
    # A name typed in full that only one child on the list has is that child, whatever its case.
    fill_minimal(staff, child="  barnaby   ODDLESTONE, jr ", words="Has had no lunch all week")
    staff.click("#save")
    wait_count(staff, "outbox-count", 3)
    staff_context.set_offline(False)
    sync_now(staff)
    wait_count(staff, "received-count", 3)

    # The DSL's Python client opens both: the child picked has the roster's id and name.
    with server.enrolled("dsl") as reader:
        notes = []
        for opened in reader.open_all(server.demo_key("dsl")):
            notes.append(sync_note.read(opened.content))
            if notes[-1].child.roster_id == "A123456789012":
                picked_record = str(opened.header.record_id)
    children = {n.words: n.child for n in notes}
    assert children["Said she had no breakfast again"] == sync_note.Child(name="Zephyrine Quillfeather", roster_id="A123456789012")
    assert children["Was crying at the gate"] == sync_note.Child(name="A visitor's child", roster_id=None)
    assert children["Has had no lunch all week"] == sync_note.Child(name="Barnaby Oddlestone, Jr", roster_id="B987654321098")

    # The DSL's app shows the year and class from its own copy of the list.
    sync_now(dsl)
    dsl.wait_for_function("document.body.dataset.inbox === '3'")
    dsl.locator(f"#inbox-list li[data-record='{picked_record}']").get_by_role("button", name="Open").click()
    dsl.wait_for_function(f"document.body.dataset.noteOpen === '{picked_record}'")
    body = dsl.inner_text("#note-body")
    assert "Zephyrine Quillfeather" in body and "Year 4, 4B" in body and "2017-03-04" in body
    dsl.click("#note-close")

    # A second person on the staff tablet: until the DSL's app seals the list to them, they have none,
    # and once everyone is locked, the device holds only ciphertext: no name in any stored byte.
    lock(staff)
    add_demo_person(staff)
    wait_keys(staff, server, 3)
    assert staff.evaluate("document.body.dataset.roster") == "none" and choices(staff) == []
    lock(staff)
    stored = stored_bytes(staff)
    for secret in SECRETS:
        assert secret not in stored
    assert "Zephyrine" not in screen_text(staff)

    # A tablet set up after publishing: nothing until the DSL's app syncs, then the list.
    tablet_context, tablet = join_demo(browser, server)
    wait_keys(tablet, server, 4)
    sync_now(tablet)
    tablet.wait_for_timeout(300)
    assert tablet.evaluate("document.body.dataset.roster") == "none"
    sync_now(dsl)
    for _ in range(100):
        if server.query("SELECT COUNT(*) FROM roster_envelopes WHERE version = 1")[0][0] == 4:
            break
        dsl.wait_for_timeout(100)
    sync_now(tablet)
    tablet.wait_for_function("document.body.dataset.roster === '1'")
    assert LABEL in choices(tablet)
    # The second person on the staff tablet gets theirs too, at their next unlock.
    unlock(staff, person=staff.locator("#people-list label").nth(1).inner_text())
    staff.wait_for_function("document.body.dataset.roster === '1'")

    # The server's file never held a name.
    database = b"".join(p.read_bytes() for p in server.data_dir.iterdir() if p.name.startswith("lantern.db"))
    for secret in SECRETS:
        assert secret not in database
    assert not dsl.errors and not staff.errors and not tablet.errors
    for context in (dsl_context, staff_context, tablet_context):
        context.close()


# The note's child with the roster's id: the page's reader and sync/note.py agree on every case.
from tests.browser.test_inbox import CONCERN  # noqa: E402


def python_answer(content: bytes) -> str:
    try:
        sync_note.read(content)
        return "ok"
    except sync_note.NoteError as exc:
        return exc.code

ROSTER_ID_CASES = {
    "a roster id": {**CONCERN, "child": {"name": "Zephyrine Quillfeather", "roster_id": "A123456789012"}},
    "a null roster id": {**CONCERN, "child": {"name": "Sam", "roster_id": None}},
    "64 characters": {**CONCERN, "child": {"name": "Sam", "roster_id": "x" * 64}},
    "65 characters": {**CONCERN, "child": {"name": "Sam", "roster_id": "x" * 65}},
    "a number": {**CONCERN, "child": {"name": "Sam", "roster_id": 12}},
    "a roster, not a note": {"v": 1, "type": "roster", "version": 1, "issued_at": "", "children": []},
}


@pytest.mark.parametrize("case", ROSTER_ID_CASES)
def test_the_page_reads_a_roster_id_as_sync_note_does(page, case):
    content = json.dumps(ROSTER_ID_CASES[case]).encode()
    answer = page.evaluate("""async (hex) => {
        const { readNote } = await import('/common/note-reader.js');
        const bytes = new Uint8Array(hex.match(/../g).map((h) => parseInt(h, 16)));
        try { const n = readNote(bytes); return 'ok:' + n.child.roster_id; }
        catch (e) { if (e.name === 'NoteError') return e.code; throw e; }
    }""", content.hex())
    expected = python_answer(content)
    if expected == "ok":
        expected = "ok:" + str(sync_note.read(content).child.roster_id).replace("None", "null")
    assert answer == expected, case


def test_the_csv_reader_knows_the_mis_exports(page):
    """Headers as SIMS, Arbor, Bromcom and ScholarPack write them; quoting; a file with no names."""
    result = page.evaluate("""async () => {
        const { readRoster, parseCsv, RosterImportError } = await import('/common/roster-import.js');
        const ids = () => 'made-up-id';
        const out = {};
        out.quoted = parseCsv('\\ufeffa,"b ""c"", d",e\\r\\n"multi\\nline",,\\n\\n');
        // Cells copied from a spreadsheet and pasted are separated by tabs.
        out.pasted = readRoster('Forename\\tSurname\\tYear\\nMary\\tSomerville, Jr\\t3\\n', ids).children;
        out.arbor = readRoster('First Name,Last Name,Year Group,Registration Group,MIS ID,DOB\\n'
            + 'Ada,Lovelace,Reception,RA,MIS-1,2020-12-10\\n', ids).children;
        out.bromcom = readRoster(' LEGAL_FORENAME ,Known As,Legal Surname,NC Year,Form,Admission Number\\n'
            + 'Alan,Al,Turing,Y6,6T,00042\\n', ids);
        out.scholarpack = readRoster('Name,Class,Date of Birth\\nGrace Hopper,Oak,09/12/2016\\n,Oak,\\n', ids);
        try { readRoster('Pupil number,Class\\n1,Oak\\n'); out.noName = 'read'; }
        catch (e) { out.noName = e instanceof RosterImportError ? e.code : String(e); }
        try { readRoster(''); out.empty = 'read'; } catch (e) { out.empty = e.code; }
        return out;
    }""")
    assert result["quoted"] == [["a", 'b "c", d', "e"], ["multi\nline", "", ""]]
    assert result["pasted"] == [{"id": "made-up-id", "name": "Mary Somerville, Jr", "preferred": "", "dob": "",
                                 "year": "3", "group": ""}]
    assert result["arbor"] == [{"id": "MIS-1", "name": "Ada Lovelace", "preferred": "", "dob": "2020-12-10",
                                "year": "Reception", "group": "RA"}]
    # Headers match whatever their case, spaces and underscores; "Y6" is year 6; the id kept as text.
    assert result["bromcom"]["children"] == [{"id": "00042", "name": "Alan Turing", "preferred": "Al", "dob": "",
                                             "year": "6", "group": "6T"}]
    assert result["scholarpack"]["children"][0]["name"] == "Grace Hopper"
    assert result["scholarpack"]["children"][0]["id"] == "made-up-id"
    assert result["scholarpack"]["children"][0]["dob"] == "2016-12-09"
    assert result["scholarpack"]["skipped"] == [{"row": 3, "reason": "no name"}]
    assert (result["noName"], result["empty"]) == ("no_name_column", "empty")
