"""PyTorch's threads, and OpenBLAS's with them: Debian's torch hands its matmuls to the system BLAS,
whose own thread count is read from OPENBLAS_NUM_THREADS at load (the bench sets 1, common.ts
torchEnv), so torch.set_num_threads alone would leave every GEMM on one thread."""
import ctypes

import torch


def set_threads(n):
    torch.set_num_threads(n)
    try:
        ctypes.CDLL('libopenblas.so.0').openblas_set_num_threads(n)
    except (OSError, AttributeError):
        pass  # not OpenBLAS (the reference BLAS is one thread anyway)
