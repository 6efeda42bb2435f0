"""Small building blocks of the SAM prompt encoder and mask decoder."""
from .attention import Attention
from .mlp import MLP, MLPBlock
from .positional_encoding import RandomFourierPositionalEncoding

__all__ = ['Attention', 'MLP', 'MLPBlock', 'RandomFourierPositionalEncoding']
