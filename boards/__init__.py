"""Board data files and their loader (the lowest room: imports nothing of the project)."""

from .errors import UnknownBoard, UserError
from .loader import Board, all_boards, board_names, load_board

__all__ = [
    # data
    "Board", "load_board", "board_names", "all_boards",
    # errors
    "UserError", "UnknownBoard",
]
