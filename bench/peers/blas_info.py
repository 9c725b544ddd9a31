"""Which BLAS this Python process has loaded, and how many threads it computes with.

A peer's speed depends on it: Debian's python3-torch (and numpy) call whatever `libblas.so.3` the
alternatives system points at, and the reference BLAS (package libblas3) runs matrix products several
times slower than OpenBLAS (libopenblas0-pthread). A ratio taken against the reference BLAS flatters us,
so every peer reports this and bench/lib/peer-blas.ts refuses to print a ratio against it.
Read from /proc/self/maps, after torch or numpy has been imported (the libraries are then mapped).
"""
import os
import re


def blas_info(threads=None):
    libraries = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            if len(fields) < 6:
                continue
            path = fields[5]
            if re.search(r"(blas|mkl_|libmkl|blis)", os.path.basename(path)):
                libraries.add(os.path.realpath(path))
    joined = " ".join(sorted(libraries))
    if "openblas" in joined:
        kind = "openblas"
    elif "mkl" in joined:
        kind = "mkl"
    elif "blis" in joined:
        kind = "blis"
    elif re.search(r"/blas/libblas\.so", joined):
        kind = "reference"
    else:
        kind = "unknown"
    blas_threads = None
    architecture = None
    try:
        from threadpoolctl import threadpool_info

        blas = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        blas_threads = max((p["num_threads"] for p in blas), default=None)
        # OpenBLAS's kernel choice (e.g. Haswell, SkylakeX); OPENBLAS_CORETYPE overrides it.
        architecture = next((p.get("architecture") for p in blas if p.get("architecture")), None)
    except ImportError:
        pass
    return {"kind": kind, "libraries": sorted(libraries), "threads": threads, "blasThreads": blas_threads, "architecture": architecture}


def limit_threads(threads):
    """One thread count for PyTorch and, where threadpoolctl is installed, for the BLAS under it."""
    import torch

    torch.set_num_threads(threads)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)
    except ImportError:
        pass
