from .prompt_types import PROMPT_TYPE_NAMES, PromptType

__all__ = ['PROMPT_TYPE_NAMES', 'PromptType']
