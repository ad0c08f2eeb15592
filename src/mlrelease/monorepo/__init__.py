"""Monorepos: several member packages under one root, each tested, versioned and published as
its own project (:mod:`.members` finds them, :mod:`.affected` says which changed)."""
