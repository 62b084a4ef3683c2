"""What a step's stored versions wrote in its declared writes: the files pipeflow may remove.

A file of a declared write is the step's output, which the results store holds a copy of,
only when one of the step's stored versions wrote it at that very path with that very content
(path and checksum from its manifests, whose lists are signed: `storage/signing.py`). Anything
else there (a file put there by hand, one edited since) is the user's: neither the clean-up
before a step runs (`execute/clearing.py`) nor a restore (`restore.py`) removes it.
"""

from __future__ import annotations

from pipeflow.cache.results import ResultCache
from pipeflow.model.locations import locate
from pipeflow.storage.signing import files_signature_problem

Owned = dict[str, set[str]]  # a path its step's stored versions wrote -> the checksums it had


def owned_files(cache: ResultCache, step: str, folder: str) -> Owned:
    """What the stored versions of `step` wrote: each file's path (absolute, a URL as its
    write names it) and the checksums it had there. Only versions whose list of files is
    signed here count: a forged manifest cannot have a file removed."""
    owned: Owned = {}
    for manifest in cache.versions(step):
        if not manifest.files or files_signature_problem(
            manifest.files_signature,
            manifest.files,
            pipeline=manifest.pipeline,
            step=manifest.step,
            key=manifest.key,
        ):
            continue
        for label, written in manifest.files.items():
            base = locate(label, folder).key.rstrip("/")
            for name, entry in written.entries.items():
                if entry.kept:  # there before that version ran: not its output
                    continue
                owned.setdefault(f"{base}/{name}" if name else base, set()).add(entry.checksum)
    return owned
