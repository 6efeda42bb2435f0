"""Which source datasets stay out of pretraining: names, spellings and aliases."""
import re
from typing import Dict, Optional, Sequence, Tuple

#: Downstream test sets of USF-MAE; pretraining never sees them by default.
DEFAULT_HOLDOUT = ('BUS-BRA', 'MMOTU-2D', 'GIST514-DB')

# Other names the held-out sets are distributed or cited under (folded, see
# ``fold_name``): MMOTU-2D unpacks to ``OTU_2d``, GIST514-DB to
# ``usd514_jpeg_roi``.
_ALIASES = {
    'mmotu2d': ('otu2d', ),
    'gist514db': ('gist514', 'usd514', 'usd514jpegroi'),
}


def fold_name(name: str) -> str:
    """A dataset name without case, spaces or symbols: ``'BUS-BRA'``,
    ``'busbra'`` and ``'BUS_BRA'`` all fold to ``'busbra'``."""
    return re.sub(r'[^0-9a-z]+', '', str(name).lower())


class HoldoutList:
    """Matches source names against held-out dataset names.

    A source is held out when its folded name equals a held-out name or one of
    its known aliases (``OTU_2d`` for MMOTU-2D, ``usd514_jpeg_roi`` for
    GIST514-DB).

    Args:
        names (Sequence[str]): Held-out dataset names.
    """

    def __init__(self, names: Sequence[str]) -> None:
        if isinstance(names, str):
            raise TypeError(f'holdout must be a list of dataset names, got '
                            f'the string {names!r}; write [{names!r}]')
        self.names: Tuple[str, ...] = tuple(str(name) for name in names)
        self._by_folded: Dict[str, str] = {}
        for name in self.names:
            folded = fold_name(name)
            if not folded:
                raise ValueError(f'holdout: {name!r} is not a dataset name')
            for key in (folded, ) + _ALIASES.get(folded, ()):
                self._by_folded[key] = name

    def match(self, source: str) -> Optional[str]:
        """The held-out name ``source`` belongs to, or None."""
        return self._by_folded.get(fold_name(source))
