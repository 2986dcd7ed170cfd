"""The seven priority areas named by the 2024 Japan-ASEAN roundtable."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PriorityArea:
    code: str
    name: str
    description: str


PRIORITY_AREAS: tuple[PriorityArea, ...] = (
    PriorityArea(
        "climate", "Climate change", "Mitigation, adaptation, disaster risk and resilience"
    ),
    PriorityArea("energy", "Energy", "Renewables, storage, grids, hydrogen and energy access"),
    PriorityArea("ai", "Artificial intelligence", "Machine learning, data science and their uses"),
    PriorityArea("robotics", "Robotics", "Robots, automation and autonomous systems"),
    PriorityArea("quantum", "Quantum", "Quantum computing, sensing and communication"),
    PriorityArea("semiconductors", "Semiconductors", "Devices, materials, design and fabrication"),
    PriorityArea("biotech", "Biotechnology", "Health, agriculture and industrial biotechnology"),
)

AREA_CODES: tuple[str, ...] = tuple(a.code for a in PRIORITY_AREAS)
_BY_CODE = {a.code: a for a in PRIORITY_AREAS}


def priority_area(code: str) -> PriorityArea:
    try:
        return _BY_CODE[code]
    except KeyError:
        raise KeyError(
            f"unknown priority area {code!r}; allowed: {', '.join(AREA_CODES)}"
        ) from None
