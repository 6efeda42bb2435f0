"""Necks turning encoder features into detector inputs."""
from .simple_fpn import SimpleFPN

__all__ = ['SimpleFPN']
