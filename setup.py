"""Build the ingest's compiled helpers when the package is installed (``pip install .`` or
``pip install -e .``): Cython is a build requirement (pyproject's ``[build-system]``), not
a runtime one. Without them the ingest falls back to pure Python (same results, slower)."""

from Cython.Build import cythonize
from setuptools import Extension, setup

EXTENSIONS = [
    Extension("brokers.fink._avrodecode", ["brokers/fink/_avrodecode.pyx"]),
    Extension("brokers.fink._pgcopy", ["brokers/fink/_pgcopy.pyx"]),
]

setup(ext_modules=cythonize(EXTENSIONS, language_level=3))
