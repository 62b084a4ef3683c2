"""Big configs built once: the pipeline model a config's reading builds into, kept beside it.

Building the model of a config (`build.py`: every step's values parsed, its records made)
costs about 25 us per step on a slow machine: 2.5 s of a 100,000-step `validate`, after the
reading of its text is kept (`readings.py`). What it builds depends on nothing but the values
the text reads as, the config's place and bytes, and the builder's code, so next to a kept
reading (`.pipeflow/readings/NAME.json`) the model it built is kept too, in
`.pipeflow/readings/NAME.model`:

    a header   b"PFB1", the sha256 of what the model depends on (below), and an HMAC-SHA256
               of the rest, made with the signing key of pickled results (`signing.py`)
    the model  the pickle of the `Pipeline` the builder made, with nothing to report, each
               step with what it references worked out (the step graph's next question)

What it depends on: the reading's key (the text, its kind, the reader's code), the config's
resolved path (the model names it, and its folder) and the hash of its bytes as read
(`config_hash`),
the code of `config/` and `model/` and `records.py`, and the versions of pipeflow, Python and
pickle. Any other of these builds the model again, and keeps it in place of the old one.

A model is unpickled only when its HMAC is the one this machine's signing key makes: a forged
or copied file is built again instead, never loaded, so writing beside a config cannot run
code through it. Without a signing key (none made yet, or one that cannot be used) nothing is
kept. Like the reading, the file only saves time: a missing, damaged or stale one is built
again, and failing to write one is not an error.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import pickle
import sys
from pathlib import Path

from pipeflow.config.readings import place, write_whole
from pipeflow.errors import StorageError
from pipeflow.model.pipeline import Pipeline
from pipeflow.storage.signing import SigningKey, signing_key

MAGIC = b"PFB1"
_DIGEST = 32  # bytes of a sha256, and of an HMAC-SHA256
_HEADER = len(MAGIC) + 2 * _DIGEST
_PROTOCOL = 5
_VERSION = 1


def model_place(config: str | Path) -> Path:
    """Where the model built from the config at `config` is kept."""
    reading = place(config)
    return reading.with_name(reading.name.removesuffix(".json") + ".model")


def recall(config: str | Path, reading: str | None, config_hash: str) -> Pipeline | None:
    """The model kept for the config at `config` when it was built from the reading `reading`
    of the same bytes (`config_hash`) by the same code, and signed with this machine's key;
    None otherwise."""
    if reading is None:
        return None
    key = _signing(create=False)
    if key is None:
        return None
    try:
        body = model_place(config).read_bytes()
    except OSError:
        return None
    wanted = _depends(config, reading, config_hash)
    if wanted is None or len(body) < _HEADER or not body.startswith(MAGIC):
        return None
    depends = body[len(MAGIC) : len(MAGIC) + _DIGEST]
    mac = body[len(MAGIC) + _DIGEST : _HEADER]
    if not hmac.compare_digest(depends, wanted):
        return None
    if not hmac.compare_digest(mac, _mac(key, depends, memoryview(body)[_HEADER:])):
        return None
    try:
        model = pickle.loads(memoryview(body)[_HEADER:])
    except Exception:  # signed here, yet unreadable (a class changed in place): built again
        return None
    return model if isinstance(model, Pipeline) else None


def remember(config: str | Path, reading: str | None, model: Pipeline) -> None:
    """Keep `model`, built with nothing to report from the reading `reading` of the config at
    `config`; nothing is kept without a reading or a signing key, or where it cannot be."""
    if reading is None:
        return
    key = _signing(create=True)
    depends = _depends(config, reading, model.config_hash)
    if key is None or depends is None:
        return
    for step in model.steps.values():
        # What each step references, worked out once per Step and kept in it (`computed_once`):
        # the step graph asks next, and takes it from the kept model from then on.
        step.upstream()
    try:
        pickled = pickle.dumps(model, protocol=_PROTOCOL)
    except Exception:  # a value that does not pickle: not kept
        return
    write_whole(model_place(config), MAGIC + depends + _mac(key, depends, pickled) + pickled)


def _signing(*, create: bool) -> SigningKey | None:
    try:
        return signing_key(create=create)
    except (StorageError, OSError):  # no home, a key that cannot be used: nothing kept
        return None


def _mac(key: SigningKey, depends: bytes, pickled: bytes | memoryview) -> bytes:
    signer = hmac.new(key.secret, b"pipeflow-model-1\0" + depends, hashlib.sha256)
    signer.update(pickled)
    return signer.digest()


def _depends(config: str | Path, reading: str, config_hash: str) -> bytes | None:
    """The sha256 of everything the model built from `reading` depends on; None where the
    builder's own files cannot be read."""
    code = _code()
    if code is None:
        return None
    source = str(Path(config).resolve())
    text = "\0".join((code, reading, source, config_hash))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


@functools.cache
def _code() -> str | None:
    """The builder's code and versions: the files that decide what a model is."""
    from pipeflow._version import __version__

    package = Path(__file__).parent.parent
    hasher = hashlib.sha256(f"{_VERSION}\0{__version__}\0{sys.version}\0{_PROTOCOL}".encode())
    try:
        files = [
            package / "records.py",
            *sorted((package / "config").glob("*.py")),
            *sorted((package / "model").glob("*.py")),
        ]
        for file in files:
            hasher.update(file.name.encode() + b"\0" + file.read_bytes())
    except OSError:
        return None
    return hasher.hexdigest()
