"""``mlrelease publish wheels|images|all``: thin dispatch to the feed and image stages.

Order for ``all`` (RELIABILITY.md item 15): wheels (immutable) -> images (digest, immutable tags,
then moving tags). Each stage preflights everything before its first upload.
"""

from __future__ import annotations

import argparse


def cmd_publish_wheels(args: argparse.Namespace) -> int:
    from mlrelease.feeds_cli import run_publish_wheels

    return run_publish_wheels(args)


def cmd_publish_images(args: argparse.Namespace) -> int:
    from mlrelease.images_cli import run_publish_images

    return run_publish_images(args)


def cmd_publish_all(args: argparse.Namespace) -> int:
    code = cmd_publish_wheels(args)
    if code != 0:
        return code
    return cmd_publish_images(args)
