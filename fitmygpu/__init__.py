"""FitMyGPU: will a model fit on a GPU? Engine-accurate VRAM estimates for local LLMs."""

__version__ = "0.1.0"
