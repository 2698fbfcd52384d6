"""The `lantern` command: `serve`, `admin` (run on the server, against its data directory) and
`trust` (run on the DSL's own computer: the trust key's private half never touches the server)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import msgspec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from server.errors import Refused
from server.settings import Settings
from sync import keyfiles, keyring, trust_backup
from sync.codes import fingerprint
from sync.signing import public_bytes


class Usage(Exception):
    """A mistake on the command line: said plainly, exit status 2, no traceback."""


# Files


def read_public_key(path: str) -> bytes:
    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except FileNotFoundError:
        raise Usage(f"{path}: no such file") from None
    except ValueError:
        raise Usage(f"{path}: not a PEM public key") from None
    try:
        return public_bytes(key)
    except (AttributeError, ValueError):
        raise Usage(f"{path}: not a P-256 public key") from None


def write_public_key(raw: bytes, path: Path) -> None:
    from sync.signing import public_key_from_bytes

    pem = public_key_from_bytes(raw).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    path.write_bytes(pem)


def passphrase(confirm: bool) -> bytes:
    """From LANTERN_PASSPHRASE (for scripts), or asked twice at the terminal."""
    if "LANTERN_PASSPHRASE" in os.environ:
        value = os.environ["LANTERN_PASSPHRASE"]
    else:
        value = getpass.getpass("Passphrase for the key file: ")
        if confirm and getpass.getpass("The same passphrase again: ") != value:
            raise Usage("the two passphrases differ")
    if len(value) < 12:
        raise Usage("use a passphrase of at least 12 characters")
    return value.encode()


def load_private_key(path: str) -> ec.EllipticCurvePrivateKey:
    """A PEM key file from `lantern trust init`, or a backup file the DSL's app wrote (sync/trust_backup.py)."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise Usage(f"{path}: no such file") from None
    try:
        if data.lstrip().startswith(b"{"):
            return trust_backup.read(data, passphrase(confirm=False))
        return keyfiles.load(Path(path), passphrase(confirm=False))
    except trust_backup.BackupError as exc:
        raise Usage(f"{path}: {exc}") from None
    except (ValueError, TypeError):
        raise Usage(f"{path}: wrong passphrase, or not a Lantern private key") from None


def new_key_file(out: str) -> ec.EllipticCurvePrivateKey:
    path = Path(out)
    if path.exists():
        raise Usage(f"{path} exists: Lantern never overwrites a key")
    key = keyfiles.new_key()
    keyfiles.save(key, path, passphrase(confirm=True))
    write_public_key(public_bytes(key.public_key()), path.with_suffix(".pub.pem"))
    return key


def as_uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an id (a UUID)") from None


# serve


ADDRESS_FILE = "served-at.txt"


def served_at(data_dir: Path) -> str:
    """Where staff reach the server that last started on this data folder: its public URL (behind a
    proxy), or else the address it listened on. `code issue --base-url` overrides it."""
    try:
        return (data_dir / ADDRESS_FILE).read_text().strip()
    except OSError:
        return "http://127.0.0.1:8000"


def serve(args: argparse.Namespace) -> None:
    import logging
    import logging.config

    import uvicorn

    from server import logs
    from server.app import create_app

    from server.db import DatabaseProblem, check_database, check_folder
    from server.webpush import check_subject

    from server.backup import ServerRunning, hold_lock

    settings = Settings(data_dir=Path(args.data_dir), database=args.database, demo=args.demo,
                        public_url=(args.public_url or Settings().public_url).rstrip("/"))
    try:
        check_subject(settings.vapid_subject)
        check_folder(settings.data_dir)  # it holds the push key and the lock, whichever database
        check_database(settings.database_target)
        if settings.database and settings.max_database_mb:
            raise Usage("LANTERN_MAX_DATABASE_MB limits the embedded SQLite database only: on PostgreSQL, watch "
                        "its disk instead (docs/hosting.md)")
        lock = hold_lock(settings.data_dir)  # noqa: F841 (held until the process ends)
    except (ValueError, DatabaseProblem) as exc:
        raise Usage(str(exc)) from None
    except ServerRunning as exc:
        raise Usage(f"{exc}: one server per data folder (stop the other, or choose another --data-dir)") from None
    tls = tls_files(args)
    # From here on the server writes JSON lines only (server/logs.py), the lines for the person at the
    # terminal too: a log shipper reading the same stream takes every line as it comes.
    logging.config.dictConfig(logs.CONFIG)
    logging.captureWarnings(True)
    log = logging.getLogger("lantern")
    app = create_app(settings)
    scheme = "https" if tls else "http"
    address = f"{scheme}://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}"
    # For the links `admin code issue` prints: where staff open it.
    (settings.data_dir / ADDRESS_FILE).write_text((settings.public_url or address) + "\n")
    log.info("Lantern is starting: open %s/ in a browser.", address)
    if args.demo:
        log.warning("DEMO MODE: a demo school with demo-only keys in %s. Never record a real concern in it.",
                    settings.data_dir / "DEMO-ONLY-keys")
    # No "server: uvicorn" header: it tells an attacker the stack, and costs every response its bytes.
    from server.slow_clients import patient_protocol

    # log_config=None: uvicorn keeps the logging set up above. Its access log is off, and so are
    # WebSockets (Lantern has none), for both log client addresses; and its access log, raw paths
    # with their queries (server/routes/observe.py writes the access line instead).
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, log_level="info", access_log=False,
                ws="none", server_header=False,
                ssl_certfile=tls[0] if tls else None, ssl_keyfile=tls[1] if tls else None,
                http=patient_protocol(settings.request_head_seconds, settings.request_body_bytes_per_second))


def tls_files(args: argparse.Namespace) -> tuple[str, str] | None:
    """The certificate and key to serve HTTPS with, checked before the server starts: a school
    without a proxy in front serves TLS itself (browsers run the app only over HTTPS, or on 127.0.0.1)."""
    import ssl

    if not args.tls_cert and not args.tls_key:
        return None
    if not (args.tls_cert and args.tls_key):
        raise Usage("give both --tls-cert and --tls-key, or neither")
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(args.tls_cert, args.tls_key)
    except (OSError, ssl.SSLError) as exc:
        raise Usage(f"the TLS certificate {args.tls_cert} and key {args.tls_key} cannot be used ({exc}): "
                    "they must be PEM files, readable by Lantern, the key the certificate's own and not encrypted") from None
    return args.tls_cert, args.tls_key


# admin backup and restore: the database file itself, never opened for writing here


def backup(args: argparse.Namespace) -> None:
    from server.backup import back_up
    from server.db import DatabaseProblem

    path = sqlite_file(args, "backup")
    if not path.exists():
        raise Usage(f"no Lantern database in {args.data_dir} (use --data-dir)")
    if not args.recipient:
        raise Usage("give the backup key's public half with --recipient age1... (or LANTERN_BACKUP_RECIPIENT): "
                    "`lantern keys backup` makes a backup key, on a computer other than the server")
    try:
        copied = back_up(path, Path(args.out), args.recipient)
    except DatabaseProblem as exc:
        raise Usage(str(exc)) from None
    print(f"Backed up to {args.out}: {copied.schools} school(s), {copied.envelopes} envelope(s), "
          f"{copied.bytes / 1e6:.1f} MB, checked whole and encrypted to the backup key. Keep a copy of vapid-private.pem "
          f"from {args.data_dir} too, once, as safely as the backup key (it never changes): without it, every team device "
          "must turn urgent alerts on again.")


def sqlite_file(args: argparse.Namespace, command: str) -> Path:
    settings = Settings(data_dir=Path(args.data_dir), database=args.database)
    if settings.database:
        raise Usage(f"`lantern admin {command}` is for the embedded SQLite database, and this server's is PostgreSQL: "
                    "use PostgreSQL's own base backups and WAL archive (docs/hosting.md, \"Backups\")")
    return settings.database_path


def restore(args: argparse.Namespace) -> None:
    from server.backup import ServerRunning, restore as put_back
    from server.db import DatabaseProblem

    path = sqlite_file(args, "restore")
    try:
        copied, aside = put_back(Path(args.backup), path, Path(args.key) if args.key else None)
    except DatabaseProblem as exc:
        raise Usage(str(exc)) from None
    except ServerRunning as exc:
        raise Usage(f"{exc}: stop it before restoring, then start it again") from None
    print(f"Restored {args.backup} to {path}: {copied.schools} school(s), {copied.envelopes} envelope(s).")
    if aside:
        print(f"The database it replaced is kept as {aside} (with its log, if it had one).")
    print("Start the server: devices send again any note they sent since the backup (docs/admin.md).")


# trust: on the DSL's computer


def trust_init(args: argparse.Namespace) -> None:
    key = new_key_file(args.out)
    print(f"Trust key written to {args.out} (encrypted with your passphrase).")
    print(f"Its public half: {Path(args.out).with_suffix('.pub.pem')} (give this to the server's admin).")
    print(f"Fingerprint: {fingerprint(public_bytes(key.public_key())).hex()}")
    print("Back it up now: see docs/trust-key.md.")


def trust_sign(args: argparse.Namespace) -> None:
    try:
        payload = msgspec.json.decode(Path(args.draft).read_bytes(), type=keyring.KeyringPayload)
    except FileNotFoundError:
        raise Usage(f"{args.draft}: no such file") from None
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise Usage(f"{args.draft}: not a keyring draft ({exc})") from None
    key = load_private_key(args.key)
    payload = keyring.valid_for(payload, timedelta(days=args.valid_days))
    signed = keyring.sign(payload, key)
    Path(args.out).write_bytes(msgspec.json.encode(signed))
    print(f"Signed keyring version {payload.version} for {payload.school_name}, current until {payload.expires_at}:")
    for r in payload.recipients:
        # One line per key: a person with several devices has several. The start of the key id, as
        # each team member's app shows its own, lets the signer check every key is a real device's.
        short = " ".join(r.key_id[i:i + 4] for i in range(0, 16, 4))
        print(f"  {r.role:<20} {r.name}  (key {short})")
    if payload.devices is not None:
        # The devices it approves: each one sent the roster, and believed as its person's. One you
        # cannot place may be a device the server enrolled for itself.
        print(f"and approving {len(payload.devices)} devices:")
        for d in payload.devices:
            short = " ".join(d.key_id[i:i + 4] for i in range(0, 16, 4))
            print(f"  {d.role:<20} {d.name}  {d.label!r}  (device {short})")
    print(f"Written to {args.out}. The admin publishes it with `lantern admin keyring publish`.")
    print("Sign the next version before it expires (a new draft, even with no change): after that date every")
    print("device says its list of the safeguarding team is out of date, and still seals to it.")


def trust_backup_file(args: argparse.Namespace) -> None:
    """The app's backup format from a `lantern trust init` key, so that the app can take the role."""
    out = Path(args.out)
    if out.exists():
        raise Usage(f"{out} exists: Lantern never overwrites a key")
    key = load_private_key(args.key)
    print("Now a passphrase for the backup file (it may be the same).", file=sys.stderr)
    keyfiles.write_private(out, trust_backup.write(key, passphrase(confirm=True)))
    print(f"Backup written to {out}, for the trust key holder's app (docs/trust-key.md).")
    print(f"Fingerprint: {fingerprint(public_bytes(key.public_key())).hex()}")


def trust_fingerprint(args: argparse.Namespace) -> None:
    print(fingerprint(read_public_key(args.public_key)).hex())


def keys_backup(args: argparse.Namespace) -> None:
    from server.backup import new_backup_key

    identity, recipient = new_backup_key()
    try:
        keyfiles.write_private(args.out, identity.encode())
    except FileExistsError:
        raise Usage(f"{args.out} exists already: choose a new file name") from None
    print(f"Backup key written to {args.out}. Keep it off the server, where only whoever restores can reach it:")
    print("without it no backup opens. Give the server its public half:")
    print(recipient)


def keys_recipient(args: argparse.Namespace) -> None:
    new_key_file(args.out)
    print(f"Recipient key written to {args.out}; its public half to {Path(args.out).with_suffix('.pub.pem')}.")


# admin: on the server


def open_db(args: argparse.Namespace):
    from server.db import DatabaseProblem, check_database, open_database

    target = Settings(data_dir=Path(args.data_dir), database=args.database).database_target
    if isinstance(target, Path) and not target.exists():
        raise Usage(f"no Lantern database in {args.data_dir} (use --data-dir, or --database for PostgreSQL)")
    try:
        check_database(target)
        return open_database(target)
    except DatabaseProblem as exc:
        raise Usage(str(exc)) from None


def admin(action: Callable) -> Callable[[argparse.Namespace], None]:
    def run(args: argparse.Namespace) -> None:
        db = open_db(args)
        try:
            action(db, args)
        finally:
            db.close()

    return run


def school_create(db, args) -> None:
    from server import school_setup, schools

    if args.setup:
        if args.name or args.trust_public_key:
            raise Usage("--setup holds the name and the trust key: give it alone")
        try:
            data = Path(args.setup).read_bytes()
        except FileNotFoundError:
            raise Usage(f"{args.setup}: no such file") from None
        school_id, name = school_setup.create(db, school_setup.read(data))
        print(school_id)
        print(f"{name} is set up, with its first keyring signed in the trust key holder's app. Next: add the "
              "people (lantern admin person add) and give the trust key holder their code first.", file=sys.stderr)
        return
    if not (args.name and args.trust_public_key):
        raise Usage("give --name and --trust-public-key, or --setup with the file the trust key holder's app made")
    school_id = schools.create_school(db, args.name, read_public_key(args.trust_public_key))
    print(school_id)


def school_list(db, args) -> None:
    from server import schools

    for s in schools.list_schools(db):
        print(f"{s['id']}  {s['name']}{'  (demo)' if s['demo'] else ''}")


def person_add(db, args) -> None:
    from server import schools

    key = read_public_key(args.recipient_public_key) if args.recipient_public_key else None
    print(schools.add_person(db, args.school, args.name, args.role, key))


def person_list(db, args) -> None:
    from server import recipient_keys, schools

    on_devices = recipient_keys.count_by_person(db, args.school)
    for p in schools.list_people(db, args.school):
        keys = []
        if p["recipient_public_key"]:
            keys.append("recipient key")
        if p["id"] in on_devices:
            total, waiting = on_devices[p["id"]]
            keys.append(f"{total} key{'' if total == 1 else 's'} made on devices, {waiting} not yet in the keyring")
        print(f"{p['id']}  {p['role']:<20} {p['name']}{'  (' + '; '.join(keys) + ')' if keys else ''}")


def contact_add(db, args) -> None:
    from server import schools

    schools.add_contact(db, args.school, args.kind, args.name, args.phone)
    print("Added. Devices see it once a new keyring is signed and published.")


def code_issue(db, args) -> None:
    import segno

    from server import devices

    code = devices.issue_code(db, args.person, hours=args.hours)
    link = code.link(args.base_url or served_at(Path(args.data_dir)))
    print(f"Enrolment code (works once, for {args.hours:g} hours): {code.text()}")
    print(f"Link: {link}")
    qr = segno.make(link, error="m")
    if args.qr:
        qr.save(args.qr, scale=8)
        print(f"QR code: {args.qr}")
    else:
        qr.terminal(compact=True)


def device_list(db, args) -> None:
    from server import devices

    for d in devices.list_devices(db, args.school):
        state = f"revoked {d['revoked_at']}" if d["revoked_at"] else "active"
        print(f"{d['key_id']}  {state:<40} {d['person'] or '-'} ({d['role'] or '-'}) {d['label'] or ''}")


def device_revoke(db, args) -> None:
    from server import devices

    if not devices.revoke(db, args.key_id):
        raise Usage(f"no active device with key id {args.key_id}")
    print("Revoked. It is refused from its next request; what it sent stays.")


def keyring_draft(db, args) -> None:
    from server import keyrings

    payload = keyrings.draft(db, args.school)
    Path(args.out).write_bytes(msgspec.json.format(msgspec.json.encode(payload)))
    print(f"Draft of keyring version {payload.version} written to {args.out}.")
    print("The trust key holder signs it on their own computer: lantern trust sign.")


def keyring_publish(db, args) -> None:
    from server import keyrings

    try:
        signed = msgspec.json.decode(Path(args.signed).read_bytes(), type=keyring.SignedKeyring)
    except FileNotFoundError:
        raise Usage(f"{args.signed}: no such file") from None
    except (msgspec.ValidationError, msgspec.DecodeError):
        raise Usage(f"{args.signed}: not a signed keyring") from None
    payload = keyrings.publish(db, args.school, signed)
    print(f"Published keyring version {payload.version}.")


def escalation_set(db, args) -> None:
    from server import escalation

    try:
        policy = escalation.parse(args.steps, args.repeat_every, args.stop_after)
    except ValueError as exc:
        raise Usage(str(exc)) from None
    escalation.set_policy(db, args.school, policy)
    print("Set. New urgent alerts follow it; alerts already running keep the policy they started with.")
    print_policy(policy)


def escalation_show(db, args) -> None:
    from server import escalation

    policy, updated_at = escalation.get(db, args.school)
    print(f"Set {updated_at}:" if updated_at else "The default (this school has not set one):")
    print_policy(policy)


def print_policy(policy) -> None:
    for i, step in enumerate(policy.steps):
        print(f"  step {i} at {step.after_seconds:>5} s: {', '.join(step.roles)}")
    if policy.repeat_every:
        print(f"  then the last step every {policy.repeat_every} s, until {policy.stop_after} s after the alert")
    print(f"  --steps \"{policy.text()}\" --repeat-every {policy.repeat_every} --stop-after {policy.stop_after}")
    print("  A note sealed to fewer than every DSL and deputy (an allegation) is repeated to its own")
    print("  recipients only, never widened. A receipt from any recipient stops the alert.")


def alerts_list(db, args) -> None:
    from server import alerts, schools
    from server.clock import iso

    if schools.get_school(db, args.school) is None:
        raise Usage(f"no school with id {args.school}")
    found = alerts.recent(db, args.school, args.limit)
    if not found:
        print("No urgent alerts.")
    for a in found:
        if a["acknowledged_at"] is not None:
            state = f"acknowledged after {a['acknowledged_at'] - a['created_at']:.0f} s by device {a['acknowledged_by'][:12]}"
        elif a["next_due"] is not None:
            state = f"OPEN at step {a['step']}, next step {iso(a['next_due'])}"
        else:
            state = f"NOT ACKNOWLEDGED; schedule ended at step {a['step']}"
        print(f"alert {a['id']}  record {a['record_id']}  {iso(a['created_at'])}  {state}")
        for e in a["events"]:
            device = f" device {e['device_key_id'][:12]}" if e["device_key_id"] else ""
            step = f" step {e['step']}" if e["step"] is not None else ""
            status = f" {e['status']}" if e["status"] is not None else ""
            detail = f"  {e['detail']}" if e["detail"] else ""
            print(f"  {iso(e['at'])}  {e['kind']:<15}{step}{device}{status}{detail}")


DATABASE_HELP = ("a PostgreSQL database instead of the data folder's SQLite file: postgresql://user:password@host/dbname "
                 "(default $LANTERN_DATABASE; docs/hosting.md)")


def build_parser() -> argparse.ArgumentParser:
    from server.escalation import DEFAULT as DEFAULT_POLICY

    parser = argparse.ArgumentParser(prog="lantern", description="Lantern safeguarding server.")
    commands = parser.add_subparsers(dest="command", required=True)

    s = commands.add_parser("serve", help="run the server")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    s.add_argument("--data-dir", default=str(Settings().data_dir), help="folder for the database (default ./lantern-data)")
    s.add_argument("--database", default=Settings().database, help=DATABASE_HELP)
    s.add_argument("--public-url", help="the address staff open, behind a proxy: https://lantern.school.example "
                   "(default $LANTERN_PUBLIC_URL; the links `lantern admin code issue` prints)")
    s.add_argument("--demo", action="store_true", help="create a demo school with DEMO-ONLY keys")
    s.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM, the chain after it)")
    s.add_argument("--tls-key", help="the certificate's private key (PEM, not encrypted)")
    s.set_defaults(run=serve)

    trust = commands.add_parser("trust", help="the school's trust key (run on the DSL's computer)").add_subparsers(required=True)
    t = trust.add_parser("init", help="make a trust key, encrypted with a passphrase")
    t.add_argument("--out", required=True, help="the private key file to write")
    t.set_defaults(run=trust_init)
    t = trust.add_parser("sign", help="sign a keyring draft")
    t.add_argument("--key", required=True, help="the trust key file")
    t.add_argument("draft", help="the draft from `lantern admin keyring draft`")
    t.add_argument("--out", required=True, help="the signed keyring file to write")
    t.add_argument("--valid-days", type=int, default=keyring.VALIDITY.days, choices=range(1, 367), metavar="DAYS",
                   help=f"how long devices call it current (default {keyring.VALIDITY.days}); sign the next before then")
    t.set_defaults(run=trust_sign)
    t = trust.add_parser("backup", help="write a trust key file as a backup file the app can take")
    t.add_argument("--key", required=True, help="the trust key file")
    t.add_argument("--out", required=True)
    t.set_defaults(run=trust_backup_file)
    t = trust.add_parser("fingerprint", help="print a trust public key's fingerprint")
    t.add_argument("public_key", help="a .pub.pem file")
    t.set_defaults(run=trust_fingerprint)

    keys = commands.add_parser("keys", help="team members' keys, and the backup key").add_subparsers(required=True)
    k = keys.add_parser("backup", help="make a backup key (age): its file for whoever restores, its public half for the server")
    k.add_argument("--out", required=True, help="the key file to write (a new file)")
    k.set_defaults(run=keys_backup)
    k = keys.add_parser("recipient", help="make a team member's recipient key pair")
    k.add_argument("--out", required=True)
    k.set_defaults(run=keys_recipient)

    adm = commands.add_parser("admin", help="manage schools, people and devices (run on the server)")
    adm.add_argument("--data-dir", default=str(Settings().data_dir), help="the server's data folder")
    adm.add_argument("--database", default=Settings().database, help=DATABASE_HELP)
    groups = adm.add_subparsers(required=True)

    def command(group, name, action, help_text):
        p = group.add_parser(name, help=help_text)
        # Also after the command, where people put it: `lantern admin school list --data-dir ...`.
        p.add_argument("--data-dir", default=argparse.SUPPRESS, help="the server's data folder")
        p.add_argument("--database", default=argparse.SUPPRESS, help=DATABASE_HELP)
        p.set_defaults(run=admin(action))
        return p

    school = groups.add_parser("school", help="schools").add_subparsers(required=True)
    p = command(school, "create", school_create, "add a school")
    p.add_argument("--name")
    p.add_argument("--trust-public-key", help="the .pub.pem from `lantern trust init`")
    p.add_argument("--setup", help="instead: the school setup file the trust key holder's app made")
    command(school, "list", school_list, "list schools")

    person = groups.add_parser("person", help="people").add_subparsers(required=True)
    p = command(person, "add", person_add, "add a person")
    p.add_argument("--school", required=True, type=as_uuid)
    p.add_argument("--name", required=True)
    p.add_argument("--role", required=True, choices=["staff", "dsl", "deputy_dsl", "headteacher", "chair_of_governors", "admin"])
    p.add_argument("--recipient-public-key", help="a team member's .pub.pem from `lantern keys recipient`")
    p = command(person, "list", person_list, "list a school's people")
    p.add_argument("--school", required=True, type=as_uuid)

    contact = groups.add_parser("contact", help="numbers staff call").add_subparsers(required=True)
    p = command(contact, "add", contact_add, "add a contact")
    p.add_argument("--school", required=True, type=as_uuid)
    p.add_argument("--kind", required=True, choices=list(keyring.ContactKind.__args__))
    p.add_argument("--name", required=True)
    p.add_argument("--phone", required=True)

    code = groups.add_parser("code", help="enrolment codes").add_subparsers(required=True)
    p = command(code, "issue", code_issue, "issue a one-time enrolment code for a person")
    p.add_argument("--person", required=True, type=as_uuid)
    p.add_argument("--hours", type=float, default=24, help="how long it works (default 24)")
    p.add_argument("--base-url", help="the address staff open (default: the server's public URL, or where it last "
                   "started, from its data folder)")
    p.add_argument("--qr", help="write the QR code to this file (.svg or .png) instead of the terminal")

    device = groups.add_parser("device", help="devices").add_subparsers(required=True)
    p = command(device, "list", device_list, "list a school's devices")
    p.add_argument("--school", required=True, type=as_uuid)
    p = command(device, "revoke", device_revoke, "revoke a device")
    p.add_argument("key_id")

    kr = groups.add_parser("keyring", help="the signed keyring").add_subparsers(required=True)
    p = command(kr, "draft", keyring_draft, "write the next keyring version for the trust key holder to sign")
    p.add_argument("--school", required=True, type=as_uuid)
    p.add_argument("--out", required=True)
    p = command(kr, "publish", keyring_publish, "publish a signed keyring")
    p.add_argument("--school", required=True, type=as_uuid)
    p.add_argument("signed")

    esc = groups.add_parser("escalation", help="how urgent alerts repeat and widen").add_subparsers(required=True)
    p = command(esc, "set", escalation_set, "set a school's escalation policy")
    p.add_argument("--school", required=True, type=as_uuid)
    p.add_argument("--steps", required=True,
                   help='SECONDS:ROLE,ROLE;... from the alert, e.g. "0:dsl,deputy_dsl;120:dsl,deputy_dsl;300:dsl,deputy_dsl,headteacher"')
    p.add_argument("--repeat-every", type=int, default=DEFAULT_POLICY.repeat_every,
                   help=f"repeat the last step every this many seconds (0: never; default {DEFAULT_POLICY.repeat_every})")
    p.add_argument("--stop-after", type=int, default=DEFAULT_POLICY.stop_after,
                   help=f"send nothing later than this many seconds after the alert (default {DEFAULT_POLICY.stop_after})")
    p = command(esc, "show", escalation_show, "show a school's escalation policy")
    p.add_argument("--school", required=True, type=as_uuid)

    p = groups.add_parser("backup", help="copy the database, consistent and checked, while the server runs")
    p.add_argument("--data-dir", default=argparse.SUPPRESS, help="the server's data folder")
    p.add_argument("--database", default=argparse.SUPPRESS, help=DATABASE_HELP)
    p.add_argument("--out", required=True, help="the backup file to write (a new file)")
    p.add_argument("--recipient", default=os.environ.get("LANTERN_BACKUP_RECIPIENT", ""),
                   help="the backup key's public half, age1... (default $LANTERN_BACKUP_RECIPIENT)")
    p.set_defaults(run=backup)
    p = groups.add_parser("restore", help="put a backup in place of the database, with the server stopped")
    p.add_argument("--data-dir", default=argparse.SUPPRESS, help="the server's data folder")
    p.add_argument("--database", default=argparse.SUPPRESS, help=DATABASE_HELP)
    p.add_argument("backup", help="a file from `lantern admin backup`")
    p.add_argument("--key", help="the backup key file it was encrypted to, from `lantern keys backup`")
    p.set_defaults(run=restore)

    p = command(groups, "alerts", alerts_list, "list a school's recent urgent alerts and every step of each")
    p.add_argument("--school", required=True, type=as_uuid)
    p.add_argument("--limit", type=int, default=20, help="how many alerts, newest first (default 20)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except Usage as exc:
        print(f"lantern: {exc}", file=sys.stderr)
        return 2
    except Refused as exc:
        print(f"lantern: {exc.detail or exc.code}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
