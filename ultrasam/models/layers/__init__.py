from .attention import Attention
from .mlp import MLP, MLPBlock
from .positional_encoding import RandomFourierPositionalEncoding

__all__ = ['Attention', 'MLP', 'MLPBlock', 'RandomFourierPositionalEncoding']
