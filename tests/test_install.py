"""Lantern installed as a school's IT technician installs it: not the editable checkout the other
tests use, but a wheel (the one PyPI would serve, built from the sdist as `pip install
lantern-safeguarding` builds it when no wheel fits), in a clean virtual environment, started from
outside the clone. A module or a file of the app left out of the package fails here."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.postgres import query
from tests.processes import stop, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("server", "sync", "pwa")


def tracked_files(*folders: str) -> set[str]:
    """The files of a clean clone (with this checkout's changes, new files included), not what is ignored."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", *folders],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    return {f for f in out.split() if (ROOT / f).is_file()}


def clean_clone(into: Path) -> Path:
    """A copy of the tree as a fresh clone has it: a build in the checkout itself would reuse its
    build/ and *.egg-info folders, and could pass with a package list that a clean build fails."""
    for name in tracked_files():
        (into / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, into / name)
    return into


def pip(python: Path, *args: str, cwd: Path) -> None:
    result = subprocess.run(
        [str(python), "-m", "pip", "--disable-pip-version-check", "-q", *args],
        cwd=cwd, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    tree = clean_clone(tmp_path_factory.mktemp("clone"))
    # `python -m build` makes the sdist, then the wheel from that sdist (as PyPI's would be made); `pip
    # wheel` makes the one `pip install .` installs. Both fetch the build backend in isolation, as a
    # technician's pip does.
    built = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out / "from-sdist"), str(tree)],
        capture_output=True, text=True, timeout=600,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    pip(Path(sys.executable), "wheel", "--no-deps", "-w", str(out / "from-tree"), str(tree), cwd=out)
    (sdist,) = (out / "from-sdist").glob("lantern_safeguarding-*.tar.gz")
    (sdist_wheel,) = (out / "from-sdist").glob("*.whl")
    (tree_wheel,) = (out / "from-tree").glob("*.whl")
    return {"sdist": sdist, "tree_wheel": tree_wheel, "sdist_wheel": sdist_wheel}


def test_the_sdist_and_both_wheels_hold_every_file_that_ships(built):
    wanted = tracked_files(*SHIPPED)
    for wheel in (built["tree_wheel"], built["sdist_wheel"]):
        names = set(zipfile.ZipFile(wheel).namelist())
        assert wanted - names == set(), wheel.name
        assert not any(n.startswith("tests/") for n in names)
    with tarfile.open(built["sdist"]) as sdist:
        root = sdist.getnames()[0].split("/")[0]
        names = {n.removeprefix(root + "/") for n in sdist.getnames()}
    assert wanted - names == set()


def serve(lantern: Path, *args: str, cwd: Path, env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    """`lantern serve --demo` from the installed package, once its /healthz answers."""
    port = free_port()
    process = subprocess.Popen(
        [str(lantern), "serve", "--demo", "--port", str(port), *args],
        cwd=cwd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, process, log, seconds=30)
    return process, url


def test_the_installed_wheel_serves_the_demo_school(built, postgres_cluster, tmp_path: Path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    pip(python, "install", str(built["sdist_wheel"]), cwd=tmp_path)

    # Started from a folder that is not the clone, with nothing of the clone on its path.
    work = tmp_path / "school-server"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    process, url = serve(env_dir / "bin" / "lantern", cwd=work, env=env, log=tmp_path / "serve.log")
    try:
        located = subprocess.run(
            [str(python), "-c", "import server, pwa; print(server.__file__); print(list(pwa.__path__)[0])"],
            cwd=work, env=env, capture_output=True, text=True, check=True,
        ).stdout.split()
        assert all(str(env_dir) in p for p in located), located

        page = httpx.get(url + "/")
        assert page.status_code == 200 and "<title>" in page.text
        # Every module the app's shell imports is served from the installed package.
        for path in sorted(tracked_files("pwa")):
            if path.startswith("pwa/") and path.endswith(".js"):
                assert httpx.get(f"{url}/{path.removeprefix('pwa/')}").status_code == 200, path
        schema = httpx.get(url + "/schema/openapi.json").json()
        assert "/api/v1/envelopes" in schema["paths"]
        demo = httpx.post(url + "/api/v1/demo/code")
        assert demo.status_code in (200, 201), demo.text
        assert (work / "lantern-data" / "lantern.db").exists()
    finally:
        stop(process)

    # And on PostgreSQL, as docs/hosting.md sets it up: its driver comes with the wheel.
    database = postgres_cluster.new_database()
    process, url = serve(env_dir / "bin" / "lantern", "--data-dir", "pg-data", "--database", database,
                         cwd=work, env=env, log=tmp_path / "serve-postgres.log")
    try:
        assert httpx.post(url + "/api/v1/demo/code").status_code in (200, 201)
        assert query(database, "SELECT COUNT(*) FROM schools WHERE demo = 1") == [(1,)]
        assert not (work / "pg-data" / "lantern.db").exists()
    finally:
        stop(process)
