"""Ports, runtime properties and JVM flags of the local cluster, sized for 2 cores.

Everything is written under ``<state>/druid/conf`` on each ``up``; nothing is read from the
install directory but jars. S3 credentials never appear in a file: Druid reads them from its
environment through password providers (``DRUID_S3_ACCESS_KEY`` / ``DRUID_S3_SECRET_KEY``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .install import DruidInstall

SERVICES = ("zookeeper", "coordinator", "broker", "historical", "indexer")
DEFAULT_PORT_BASE = 8081
ACCESS_KEY_VAR = "DRUID_S3_ACCESS_KEY"
SECRET_KEY_VAR = "DRUID_S3_SECRET_KEY"
TAG = "-Dsales_pipeline.druid.service="
STATE_TAG = "-Dsales_pipeline.druid.state="

# Heap, direct memory and extra properties per service (measured on 2 cores, see DRUID.md).
HEAPS = {
    "zookeeper": ("128m", None),
    "coordinator": ("256m", None),
    "broker": ("384m", "256m"),
    "historical": ("384m", "320m"),
    "indexer": ("512m", "256m"),
}
JAVA17_FLAGS = [
    "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED",
]
COMMON_FLAGS = [
    "-XX:+UseSerialGC",
    "-XX:+ExitOnOutOfMemoryError",
    "-Duser.timezone=UTC",
    "-Dfile.encoding=UTF-8",
    # No EC2 metadata look-ups (off loopback, and slow) when a credential is missing.
    "-Daws.region=us-east-1",
    "-Dcom.amazonaws.sdk.disableEc2Metadata=true",
]
PROCESSING = {
    "druid.processing.buffer.sizeBytes": "52428800",
    "druid.processing.numMergeBuffers": "2",
}

LOG4J2 = """<?xml version="1.0" encoding="UTF-8" ?>
<Configuration status="WARN">
  <Appenders>
    <Console name="Console" target="SYSTEM_OUT">
      <PatternLayout pattern="%d{ISO8601} %p [%t] %c{1} - %m%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Root level="info"><AppenderRef ref="Console"/></Root>
    <Logger name="org.apache.druid.java.util.common.lifecycle" level="warn" additivity="false">
      <AppenderRef ref="Console"/>
    </Logger>
    <Logger name="org.apache.zookeeper" level="warn" additivity="false"><AppenderRef ref="Console"/></Logger>
    <Logger name="org.apache.curator" level="warn" additivity="false"><AppenderRef ref="Console"/></Logger>
  </Loggers>
</Configuration>
"""


@dataclass(frozen=True)
class ClusterConfig:
    """What ``up`` starts: where state lives, the ports, and the S3 endpoint Druid reads."""

    state_dir: Path
    install: DruidInstall
    port_base: int = DEFAULT_PORT_BASE
    s3_endpoint: str = ""
    ports: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.ports:
            offsets = {"coordinator": 0, "broker": 1, "historical": 2, "indexer": 3, "zookeeper": 4, "derby": 5}
            object.__setattr__(self, "ports", {name: self.port_base + o for name, o in offsets.items()})

    @property
    def root(self) -> Path:
        return self.state_dir / "druid"

    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def to_json(self) -> str:
        data = asdict(self) | {"state_dir": str(self.state_dir), "install": str(self.install.root)}
        return json.dumps(data, indent=2)

    @classmethod
    def from_json(cls, text: str) -> ClusterConfig:
        data = json.loads(text)
        return cls(
            state_dir=Path(data["state_dir"]),
            install=DruidInstall(Path(data["install"])),
            port_base=data["port_base"],
            s3_endpoint=data["s3_endpoint"],
            ports=data["ports"],
        )


def _properties(values: dict[str, str]) -> str:
    return "".join(f"{key}={value}\n" for key, value in values.items())


def common_properties(config: ClusterConfig, with_credentials: bool) -> dict[str, str]:
    state = config.root
    values = {
        "druid.extensions.directory": str(config.install.extensions),
        "druid.extensions.loadList": '["druid-s3-extensions"]',
        "druid.host": "127.0.0.1",
        "druid.bindOnHost": "true",
        "druid.zk.service.host": f"127.0.0.1:{config.ports['zookeeper']}",
        "druid.zk.paths.base": "/druid",
        "druid.metadata.storage.type": "derby",
        "druid.metadata.storage.connector.connectURI": (
            f"jdbc:derby://127.0.0.1:{config.ports['derby']}/{state / 'metadata'};create=true"
        ),
        "druid.metadata.storage.connector.host": "127.0.0.1",
        "druid.metadata.storage.connector.port": str(config.ports["derby"]),
        "druid.storage.type": "local",
        "druid.storage.storageDirectory": str(state / "deep-storage"),
        "druid.indexer.logs.type": "file",
        "druid.indexer.logs.directory": str(state / "task-logs"),
        "druid.selectors.indexing.serviceName": "druid/overlord",
        "druid.selectors.coordinator.serviceName": "druid/coordinator",
        "druid.emitter": "noop",
        "druid.startup.logging.logProperties": "false",
        "druid.sql.enable": "true",
        "druid.lookup.enableLookupSyncOnStartup": "false",
        "druid.indexing.doubleStorage": "double",
        # SQL-standard nulls (the default of current Druid), so both engines answer NULL alike.
        "druid.generic.useDefaultValueForNull": "false",
        "druid.server.hiddenProperties": '["druid.s3.accessKey","druid.s3.secretKey"]',
    }
    if config.s3_endpoint:
        values |= {
            "druid.s3.endpoint.url": config.s3_endpoint,
            "druid.s3.endpoint.signingRegion": "us-east-1",
            "druid.s3.enablePathStyleAccess": "true",
            "druid.s3.protocol": config.s3_endpoint.split("://")[0],
            "druid.s3.disableChunkedEncoding": "true",
        }
    if with_credentials:
        values |= {
            "druid.s3.accessKey": json.dumps({"type": "environment", "variable": ACCESS_KEY_VAR}),
            "druid.s3.secretKey": json.dumps({"type": "environment", "variable": SECRET_KEY_VAR}),
        }
    return values


def service_properties(config: ClusterConfig, service: str) -> dict[str, str]:
    state = config.root
    base = {"druid.service": f"druid/{service}", "druid.plaintextPort": str(config.ports[service])}
    if service == "coordinator":
        return base | {
            "druid.coordinator.startDelay": "PT5S",
            "druid.coordinator.period": "PT2S",
            "druid.manager.segments.pollDuration": "PT2S",
            "druid.coordinator.asOverlord.enabled": "true",
            "druid.coordinator.asOverlord.overlordService": "druid/overlord",
            "druid.indexer.queue.startDelay": "PT1S",
            "druid.indexer.runner.type": "remote",
            "druid.indexer.storage.type": "metadata",
        }
    if service == "broker":
        return base | PROCESSING | {"druid.processing.numThreads": "1", "druid.broker.cache.useCache": "false"}
    if service == "historical":
        return (
            base
            | PROCESSING
            | {
                "druid.processing.numThreads": "2",
                "druid.segmentCache.locations": json.dumps([{"path": str(state / "segment-cache"), "maxSize": "20g"}]),
                "druid.server.maxSize": "20g",
                # Default is cores / 6 = 1: a 90-day load then waits for 90 segment loads in a row (38 s -> 22 s).
                "druid.segmentCache.numLoadingThreads": "4",
            }
        )
    if service == "indexer":
        return (
            base
            | PROCESSING
            | {
                "druid.processing.numThreads": "1",
                "druid.worker.capacity": "3",
                "druid.indexer.task.baseTaskDir": str(state / "tasks"),
                "druid.segment.handoff.pollDuration": "PT1S",
            }
        )
    raise ValueError(f"unknown Druid service {service!r}")


def write_config(config: ClusterConfig, with_credentials: bool) -> None:
    conf = config.path("conf")
    for folder in ("_common", *SERVICES):
        (conf / folder).mkdir(parents=True, exist_ok=True)
    (conf / "_common" / "common.runtime.properties").write_text(
        _properties(common_properties(config, with_credentials))
    )
    (conf / "_common" / "log4j2.xml").write_text(LOG4J2)
    for service in SERVICES[1:]:
        (conf / service / "runtime.properties").write_text(_properties(service_properties(config, service)))
    (conf / "zookeeper" / "zoo.cfg").write_text(
        _properties(
            {
                "tickTime": "2000",
                "dataDir": str(config.path("zookeeper")),
                "clientPort": str(config.ports["zookeeper"]),
                "clientPortAddress": "127.0.0.1",
                "admin.enableServer": "false",
                "4lw.commands.whitelist": "ruok",
            }
        )
    )
    config.path("cluster.json").write_text(config.to_json())


def command(config: ClusterConfig, service: str, java: str = "java") -> list[str]:
    """The JVM command of one service, tagged so that only our own processes are ever signalled."""
    heap, direct = HEAPS[service]
    lib = f"{config.install.lib}/*"
    conf = config.path("conf")
    tags = [f"{TAG}{service}", f"{STATE_TAG}{config.root}", "-Xms64m", f"-Xmx{heap}"]
    tags += [f"-XX:MaxDirectMemorySize={direct}"] if direct else []
    tmp = config.path("tmp")
    if service == "zookeeper":
        return [
            java, *tags, "-XX:+UseSerialGC", f"-Djava.io.tmpdir={tmp}", "-Dzookeeper.admin.enableServer=false",
            "-cp", lib, "org.apache.zookeeper.server.quorum.QuorumPeerMain", str(conf / "zookeeper" / "zoo.cfg"),
        ]  # fmt: skip
    return [
        java, *tags, *JAVA17_FLAGS, *COMMON_FLAGS, f"-Djava.io.tmpdir={tmp}",
        f"-Dlog4j.configurationFile={conf / '_common' / 'log4j2.xml'}",
        "-Djava.util.logging.manager=org.apache.logging.log4j.jul.LogManager",
        "-cp", f"{conf / '_common'}:{conf / service}:{lib}",
        "org.apache.druid.cli.Main", "server", service,
    ]  # fmt: skip
