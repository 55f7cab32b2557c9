"""Assemble Druid 25.0.0 from Maven Central into a versioned, cached install directory.

Druid 25.0.0 is the newest line whose core and S3 extension are both on Maven Central (the
binary tarball is not reachable here). The install is ``lib/`` (the runtime closure of
``druid-services``) plus ``extensions/druid-s3-extensions/`` holding only the extension's own jar:
every other jar it needs is already in ``lib/``, and a second, newer jackson beside lib's would
invite classpath conflicts. Assembly happens in a staging folder that is moved into place before
the marker is written, so an interrupted install never looks complete.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

DRUID_VERSION = "25.0.0"
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.6.1"
MARKER = ".installed"
MAVEN_CENTRAL = "https://repo.maven.apache.org/maven2"

# Druid's poms declare repositories (one for sigar) that cannot be reached: mirror all to Central.
SETTINGS_XML = f"""<settings>
  <mirrors>
    <mirror><id>central-only</id><mirrorOf>*</mirrorOf><url>{MAVEN_CENTRAL}</url></mirror>
  </mirrors>
</settings>
"""

POM_XML = f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>sales-pipeline</groupId>
  <artifactId>local-druid</artifactId>
  <version>{DRUID_VERSION}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.druid</groupId>
      <artifactId>druid-services</artifactId>
      <version>{DRUID_VERSION}</version>
      <exclusions>
        <exclusion><groupId>org.hyperic</groupId><artifactId>sigar</artifactId></exclusion>
      </exclusions>
    </dependency>
  </dependencies>
</project>
"""


class InstallError(RuntimeError):
    """Druid could not be installed; the message says what to do."""


@dataclass(frozen=True)
class DruidInstall:
    """Where the local Druid lives: ``<cache>/druid/<version>/`` plus a dedicated Maven cache."""

    root: Path
    version: str = DRUID_VERSION

    @property
    def home(self) -> Path:
        return self.root / self.version

    @property
    def lib(self) -> Path:
        return self.home / "lib"

    @property
    def extensions(self) -> Path:
        return self.home / "extensions"

    @property
    def maven_repo(self) -> Path:
        return self.root / "m2"

    @property
    def installed(self) -> bool:
        return (self.home / MARKER).is_file()


def default_install(env: dict[str, str] | None = None) -> DruidInstall:
    """``$SALES_DRUID_HOME`` or ``$XDG_CACHE_HOME/sales-pipeline/druid`` (``~/.cache/...``)."""
    env = dict(os.environ) if env is None else env
    if env.get("SALES_DRUID_HOME"):
        return DruidInstall(Path(env["SALES_DRUID_HOME"]).expanduser())
    cache = Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return DruidInstall(cache / "sales-pipeline" / "druid")


def missing_tools() -> list[str]:
    """Debian packages needed for the install and the cluster that this machine lacks."""
    missing = []
    if not _java_17_or_newer():
        missing.append("openjdk-17-jre-headless")
    if shutil.which("mvn") is None:
        missing.append("maven")
    return missing


def _java_17_or_newer() -> bool:
    java = shutil.which("java")
    if java is None:
        return False
    found = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    try:
        major = found.split('"')[1].split(".")[0]
        return int(major) >= 17
    except (IndexError, ValueError):
        return False


def ensure_tools() -> None:
    """Install Java 17 and Maven from Debian when missing (as root), or say exactly what to install."""
    missing = missing_tools()
    if not missing:
        return
    if os.geteuid() != 0:
        raise InstallError(
            f"the local Druid needs {', '.join(missing)}: install with `sudo apt-get install -y {' '.join(missing)}`"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]
    for command in (["apt-get", "update", "-qq"], install):
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise InstallError(f"`{' '.join(command)}` failed: {done.stderr.strip()[-2000:]}")


def _maven(args: list[str], workdir: Path, install: DruidInstall) -> None:
    command = [
        "mvn", "-B", "-q", "-s", str(workdir / "settings.xml"), f"-Dmaven.repo.local={install.maven_repo}", *args,
    ]  # fmt: skip
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip()[-3000:]
        raise InstallError(
            f"Maven could not assemble Druid {install.version} (is Maven Central reachable?). "
            f"Command: {' '.join(command)}\n{tail}"
        )


def install_druid(install: DruidInstall | None = None) -> DruidInstall:
    """Idempotent: returns at once when the marker exists; otherwise assembles and moves into place."""
    install = install or default_install()
    if install.installed:
        return install
    ensure_tools()
    install.root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".staging-", dir=install.root) as tmp:
        staging = Path(tmp)
        (staging / "settings.xml").write_text(SETTINGS_XML)
        (staging / "pom.xml").write_text(POM_XML)
        home = staging / "home"
        _maven(
            [f"{DEPENDENCY_PLUGIN}:copy-dependencies", "-DincludeScope=runtime", f"-DoutputDirectory={home / 'lib'}"],
            staging,
            install,
        )
        s3_extension = f"org.apache.druid.extensions:druid-s3-extensions:{install.version}"
        _maven(
            [f"{DEPENDENCY_PLUGIN}:copy", f"-Dartifact={s3_extension}",
             f"-DoutputDirectory={home / 'extensions' / 'druid-s3-extensions'}"],
            staging,
            install,
        )  # fmt: skip
        if install.home.exists():
            shutil.rmtree(install.home)  # a previous interrupted install (no marker)
        home.rename(install.home)
    (install.home / MARKER).write_text(install.version + "\n")
    return install
