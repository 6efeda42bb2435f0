"""Visualizers of prompts and masks."""
from .prompt_visualizer import PromptVisualizer

__all__ = ['PromptVisualizer']
