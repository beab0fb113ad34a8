"""Several regions at once: one emulator per region, each its own dataset on its own port.

A port per region is what clients handle best (``ICE_ENDPOINTS=region=url,…`` points each
region at its own URL, and nothing in a request has to say which region it meant).

    with Emulators(["cn-shanghai", "cn-beijing"]) as ice:
        env = {"ICE_ENDPOINTS": ice.ice_endpoints, "ICE_REGIONS": ",".join(ice)}
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from typing import Any

from bot.ice._regions import REGIONS
from bot.ice.emulator._http import Emulator


def region_seed(seed: int, region: str) -> int:
    """Each region its own dataset: the same for the same seed and region, whatever the order."""
    return zlib.crc32(f"{seed}:{region}".encode())


def parse_regions(text: str) -> tuple[str, ...]:
    """``cn-shanghai,cn-beijing``: regions ICE is offered in, each once, in the order given;
    a ``ValueError`` that names what is wrong otherwise."""
    regions = tuple(part.strip().lower() for part in text.split(",") if part.strip())
    if not regions:
        raise ValueError("--regions needs at least one region, e.g. cn-shanghai,cn-beijing")
    for region in regions:
        if region not in REGIONS:
            raise ValueError(f"unknown region {region!r}: ICE regions are {', '.join(REGIONS)}")
    if len(set(regions)) < len(regions):
        raise ValueError(f"a region is given twice in {text!r}")
    return regions


class Emulators:
    """One :class:`Emulator` per region (keyword options are passed to each), seeded by
    :func:`region_seed`; with ``port`` the regions take ``port``, ``port + 1``, … in order,
    else each a free port."""

    def __init__(
        self, regions: Sequence[str], *, port: int = 0, seed: int = 7, **options: Any
    ) -> None:
        if not regions or len(set(regions)) < len(regions):
            raise ValueError("Emulators needs regions, each once")
        self.by_region: dict[str, Emulator] = {}
        try:
            for index, region in enumerate(regions):
                self.by_region[region] = Emulator(
                    region=region,
                    seed=region_seed(seed, region),
                    port=port + index if port else 0,
                    **options,
                )
        except BaseException:
            self.stop()  # release the ports already bound: the next region's was taken
            raise

    @property
    def endpoints(self) -> dict[str, str]:
        """Region -> base URL."""
        return {region: emulator.url for region, emulator in self.by_region.items()}

    @property
    def ice_endpoints(self) -> str:
        """The ``ICE_ENDPOINTS`` value that points each region at its emulator."""
        return ",".join(f"{region}={url}" for region, url in self.endpoints.items())

    def __getitem__(self, region: str) -> Emulator:
        return self.by_region[region]

    def __iter__(self) -> Iterator[str]:
        return iter(self.by_region)

    def __len__(self) -> int:
        return len(self.by_region)

    def start(self) -> Emulators:
        for emulator in self.by_region.values():
            emulator.start()
        return self

    def stop(self) -> None:
        for emulator in self.by_region.values():
            emulator.stop()

    def __enter__(self) -> Emulators:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Emulators({self.endpoints!r})"
