"""Build configuration beyond pyproject.toml: the optional C speed-ups.

``dedupe._speedups`` compiles the engine's hot loops (tokens, shingles,
containment candidates, verification).  It is optional: where no C compiler
is available the build goes on without it and the pure-Python code runs,
giving the same results, only slower.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "dedupe.kernels._speedups",
            sources=["dedupe/kernels/_speedups.c"],
            extra_compile_args=["-O3"],
            optional=True,
        )
    ]
)
