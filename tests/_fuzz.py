"""Shared hypothesis helper: random small edits of a text file's lines."""

from hypothesis import strategies as st

OPS = ("truncate", "insert", "delete", "drop", "dup", "swap")


def mutate_lines(draw, lines, chars, *, max_edits=4, ops=OPS):
    """Apply up to `max_edits` random edits (truncate, insert `chars`, delete a character,
    drop, duplicate or swap lines) to a copy of `lines`; returns the edited list."""
    lines = list(lines)
    for _ in range(draw(st.integers(0, max_edits))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(list(ops)))
        ln = lines[i]
        k = draw(st.integers(0, len(ln)))
        if op == "truncate":
            lines[i] = ln[:k]
        elif op == "insert":
            lines[i] = ln[:k] + draw(st.text(chars, min_size=1, max_size=3)) + ln[k:]
        elif op == "delete":
            lines[i] = ln[:k] + ln[k + 1 :]
        elif op == "drop" and len(lines) > 1:
            lines.pop(i)
        elif op == "dup":
            lines.insert(i, ln)
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
    return lines
