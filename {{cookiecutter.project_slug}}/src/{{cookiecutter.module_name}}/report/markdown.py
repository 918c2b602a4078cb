"""Small markdown helpers the sections share: images (or a link to where they are), table cells."""

from pathlib import Path


def images(images: dict[str, Path], images_at: str | None) -> list[str]:
    if images_at:  # not uploaded with the comment: point at where they are
        names = ", ".join(f"`{path.name}`" for path in images.values())
        return [f"Images ({names}) are in the `cml-report` artifact of [this CI run]({images_at})."]
    return [f"**{name}**\n\n![{name}]({path.name})\n" for name, path in images.items()]


def cell(value) -> str:
    if value is None:
        return "–"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def signed(value) -> str:
    return f"{value:+.4f}" if isinstance(value, float) else f"{value:+d}"
