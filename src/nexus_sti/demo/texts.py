"""Invented proposal titles and abstracts, composed from per-area phrase material.

A title combines an area's topic, method and purpose through one of several phrasings, so a call
of a few hundred proposals has almost no repeated titles; the abstract reuses the same topic and
method so that title and abstract agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class _AreaPhrases:
    topics: tuple[str, ...]
    methods: tuple[str, ...]
    purposes: tuple[str, ...]
    problems: tuple[str, ...]
    outputs: tuple[str, ...]


def _split(text: str) -> tuple[str, ...]:
    return tuple(" ".join(item.split()) for item in text.split(";") if item.strip())


AREA_PHRASES: dict[str, _AreaPhrases] = {
    "climate": _AreaPhrases(
        topics=_split(
            """compound flood risk in coastal cities; urban heat stress; monsoon rainfall extremes;
            mangrove blue-carbon stocks; drought early warning for rice farming;
            landslide hazard on deforested slopes; sea-level rise adaptation in river deltas;
            typhoon storm-surge forecasting; peatland fire and haze emissions;
            climate-resilient urban drainage; saltwater intrusion in deltaic aquifers;
            coral reef bleaching under marine heatwaves"""
        ),
        methods=_split(
            """high-resolution regional climate downscaling; satellite radar time series;
            community-based monitoring networks; hybrid physics and machine-learning models;
            low-cost sensor networks; participatory scenario planning;
            ensemble hydrological modelling; drone-based mapping"""
        ),
        purposes=_split(
            """for local adaptation planning; to support early-warning services;
            for climate-resilient livelihoods; across Southeast Asian river basins;
            to inform national adaptation plans; for disaster risk reduction;
            under future warming scenarios; in small-island and coastal settings"""
        ),
        problems=_split(
            """Coastal and deltaic communities in Southeast Asia face rising flood losses as
            sea-level rise, land subsidence and heavier monsoon rainfall combine.;
            Heatwaves are becoming longer and more frequent across the region, with the heaviest
            burden on outdoor workers and dense informal settlements.;
            Hazard information at the scale where adaptation decisions are made is still scarce
            in many ASEAN member states.;
            Ecosystems that buffer climate impacts, such as mangroves, peatlands and reefs, are
            degrading faster than they are monitored."""
        ),
        outputs=_split(
            """open high-resolution hazard maps; a validated early-warning prototype;
            decision-support guidance co-written with local authorities;
            a shared regional observation dataset; open-source modelling code;
            training materials for national meteorological services"""
        ),
    ),
    "energy": _AreaPhrases(
        topics=_split(
            """perovskite-silicon tandem solar cells; grid integration of variable renewables;
            green hydrogen from biomass residues; sodium-ion battery storage;
            geothermal resource assessment; floating solar on reservoirs;
            microgrids for off-grid islands; waste-to-energy conversion;
            demand response in tropical cities; ammonia co-firing in thermal power plants;
            second-life reuse of electric-vehicle batteries; energy-efficient building cooling"""
        ),
        methods=_split(
            """techno-economic modelling; accelerated materials screening;
            field demonstration pilots; power-system simulation; life-cycle assessment;
            machine-learning load forecasting; in-situ spectroscopy; hardware-in-the-loop testing"""
        ),
        purposes=_split(
            """for rural electrification; under tropical operating conditions;
            to decarbonise industrial estates; for island power systems;
            towards net-zero power systems; for affordable clean energy access;
            in interconnected ASEAN power grids; for cities with rising cooling demand"""
        ),
        problems=_split(
            """Electricity demand in Southeast Asia is growing faster than in almost any other
            region, while most of it is still met by fossil fuels.;
            Remote and island communities pay the highest prices for the least reliable power.;
            Variable renewable generation is expanding quickly, and grid operators need tools
            to integrate it without compromising reliability.;
            Heat and humidity shorten the life of energy devices designed for temperate
            climates."""
        ),
        outputs=_split(
            """device prototypes tested under field conditions; an open techno-economic model;
            a pilot installation with monitored performance data; design guidelines for utilities;
            a materials database shared across partner laboratories; policy briefs for energy
            regulators"""
        ),
    ),
    "ai": _AreaPhrases(
        topics=_split(
            """language models for low-resource Southeast Asian languages;
            trustworthy medical image diagnosis; crop disease detection from smartphone images;
            traffic flow prediction; learning from distributed health records;
            explainable credit scoring; misinformation detection;
            speech recognition for regional languages; satellite-based poverty mapping;
            AI-assisted materials discovery; privacy-preserving data sharing;
            fair algorithmic decisions in public services"""
        ),
        methods=_split(
            """self-supervised learning; federated learning; graph neural networks;
            large language model adaptation; causal inference; human-in-the-loop annotation;
            edge AI deployment; new benchmark datasets"""
        ),
        purposes=_split(
            """for public health systems; in multilingual settings; with limited labelled data;
            for smallholder farmers; for smart-city services; under data-sovereignty constraints;
            for inclusive digital services; in low-bandwidth environments"""
        ),
        problems=_split(
            """Most AI systems are trained on data from a few high-income countries and perform
            poorly on Southeast Asian languages, populations and environments.;
            Hospitals and agencies hold valuable data that privacy rules rightly prevent them
            from pooling.;
            Public agencies want to use AI but lack ways to check that systems are accurate,
            fair and explainable for their own populations.;
            Labelled data are expensive to collect in the languages and settings where they are
            most needed."""
        ),
        outputs=_split(
            """open models and benchmark datasets; an evaluation protocol for fairness and
            robustness; a deployable prototype tested with end users; open-source software
            libraries; guidelines for responsible deployment; annotated corpora in partner
            languages"""
        ),
    ),
    "robotics": _AreaPhrases(
        topics=_split(
            """agricultural harvesting robots; disaster-response robots;
            assistive robots for elderly care; underwater inspection vehicles;
            collaborative robots in small factories; autonomous drones for bridge inspection;
            soft robotic grippers; rehabilitation exoskeletons; warehouse automation;
            robotic sorting of recyclable waste; teleoperated medical robots;
            robot swarms for environmental monitoring"""
        ),
        methods=_split(
            """reinforcement learning control; multimodal perception; low-cost open hardware;
            digital-twin simulation; human-robot interaction studies; tactile sensing;
            SLAM-based navigation; modular mechatronic design"""
        ),
        purposes=_split(
            """for tropical plantations; for ageing societies;
            in unstructured outdoor environments; for small and medium enterprises;
            after floods and earthquakes; in humid and dusty conditions;
            for offshore and port infrastructure; in labour-scarce industries"""
        ),
        problems=_split(
            """Labour shortages are growing in agriculture, care and manufacturing across Japan
            and several ASEAN member states.;
            Commercial robots are designed for structured, air-conditioned factories and fail in
            heat, humidity and mud.;
            Inspection of ageing infrastructure is slow, dangerous and expensive when done by
            hand.;
            Small firms cannot afford the integration cost of today's industrial robots."""
        ),
        outputs=_split(
            """a field-tested robot prototype; open hardware designs; a simulation environment
            shared by all partners; safety and usability evaluation results; control software
            released as open source; a training course for technicians"""
        ),
    ),
    "quantum": _AreaPhrases(
        topics=_split(
            """quantum key distribution networks; superconducting qubit control;
            quantum sensors for mineral exploration; quantum algorithms for chemistry;
            photonic quantum chips; migration to quantum-safe cryptography;
            diamond nitrogen-vacancy magnetometry; quantum annealing for logistics;
            trapped-ion quantum simulation; quantum random number generation;
            optical atomic clocks; quantum machine learning"""
        ),
        methods=_split(
            """hybrid quantum-classical workflows; cryogenic electronics; integrated photonics;
            error mitigation; benchmarking on cloud quantum processors;
            open-source quantum software; cold-atom experiments; device characterisation"""
        ),
        purposes=_split(
            """for secure regional communications; towards near-term quantum advantage;
            for precision navigation; for a shared regional testbed;
            for materials and drug design; for supply-chain optimisation;
            for next-generation timekeeping; to build regional quantum skills"""
        ),
        problems=_split(
            """Quantum technologies are moving from laboratories to early applications, but
            expertise and facilities are concentrated in very few countries.;
            Today's public-key cryptography will become vulnerable to future quantum computers,
            and migration takes years.;
            Near-term quantum devices are noisy, and it is unclear which practical problems
            they can already help with.;
            Precision sensing and timing underpin navigation, resource surveys and
            telecommunications across the region."""
        ),
        outputs=_split(
            """a benchmark suite of application problems; a laboratory demonstrator;
            open-source software tools; a shared remote-access testbed; a curriculum for graduate
            training; a technology roadmap for partner agencies"""
        ),
    ),
    "semiconductors": _AreaPhrases(
        topics=_split(
            """gallium nitride power devices; wide-bandgap materials for electric vehicles;
            advanced chip packaging; transistors from two-dimensional materials;
            low-power edge AI chips; silicon photonics interconnects;
            yield prediction in wafer fabrication; open-source chip design; MEMS sensors;
            device reliability in hot and humid climates;
            recovery of critical metals from electronic waste; compound semiconductor epitaxy"""
        ),
        methods=_split(
            """atomic-layer deposition; electronic design automation;
            machine-learning defect inspection; first-principles simulation;
            accelerated reliability testing; heterogeneous integration;
            process-device co-optimisation; open process design kits"""
        ),
        purposes=_split(
            """for resilient regional supply chains; for energy-efficient electronics;
            for automotive applications; for workforce training in chip design;
            for Internet-of-Things devices; towards greener fabrication;
            for high-temperature operation; for next-generation wireless networks"""
        ),
        problems=_split(
            """Southeast Asia hosts a large share of the world's chip assembly and testing, but
            little of the design and process research.;
            Supply-chain disruptions have shown how exposed the region's electronics industry is
            to single points of failure.;
            Power electronics for electric vehicles and renewables need materials beyond
            silicon.;
            The semiconductor industry faces a shortage of engineers trained in design and
            process technology."""
        ),
        outputs=_split(
            """fabricated test devices with characterisation data; an open design flow;
            reliability models for tropical operation; a shared process database;
            hands-on training for graduate engineers; joint patent applications where results
            allow"""
        ),
    ),
    "biotech": _AreaPhrases(
        topics=_split(
            """dengue vector control; antimicrobial resistance surveillance;
            heat-tolerant rice varieties; microbial biofertilisers; plant-made vaccines;
            genomic surveillance of zoonotic viruses; aquaculture disease diagnostics;
            enzymes for biomass conversion; rapid point-of-care diagnostics;
            bioactive compounds from medicinal plants; alternative proteins;
            bioplastics from agricultural residues"""
        ),
        methods=_split(
            """genome editing; metagenomic sequencing; synthetic biology;
            high-throughput phenotyping; bioinformatics pipelines; microfluidic assays;
            fermentation scale-up; multi-omics profiling"""
        ),
        purposes=_split(
            """for smallholder agriculture; for One Health preparedness;
            for tropical infectious diseases; for a circular bioeconomy;
            in resource-limited clinics; for food security under climate change;
            for sustainable aquaculture; drawing on Southeast Asian biodiversity"""
        ),
        problems=_split(
            """Tropical infectious diseases and antimicrobial resistance remain heavy burdens on
            health systems in the region.;
            Crop yields are threatened by heat, drought and salinity at the same time as demand
            for food rises.;
            Southeast Asia's biodiversity is a largely untapped resource for medicines, enzymes
            and materials.;
            Agricultural residues are often burned, wasting biomass and worsening air
            quality."""
        ),
        outputs=_split(
            """validated diagnostic assays; improved breeding lines for field trials;
            open genomic datasets; a pilot-scale bioprocess; protocols shared with national
            laboratories; training for early-career scientists in partner institutions"""
        ),
    ),
}

_TITLES: tuple[str, ...] = (
    "{Topic} {purpose}",
    "{Topic} through {method}",
    "{Method} for {topic}",
    "Towards {topic}: {method} {purpose}",
    "{Topic}: a {pair} study using {method}",
    "Co-designing {topic} {purpose}",
    "{Topic} {purpose}, using {method}",
    "Rethinking {topic} with {method}",
    "{Method} and {topic} {purpose}",
    "Bridging {method} and {topic} {purpose}",
)

_APPROACHES: tuple[str, ...] = (
    "We will combine {method} with {method2} {purpose}.",
    "Our approach applies {method} and {method2}, validated at partner sites in {places}.",
    "The work is organised around {method}, {method2} and joint validation {purpose}.",
    "Teams will develop {method} together with {method2}, sharing data and code from the start.",
)

_CLOSINGS: tuple[str, ...] = (
    "Early-career researchers will spend research stays in partner laboratories, building "
    "lasting links between the teams.",
    "Data and code will be shared openly under FAIR principles where partners' rules allow.",
    "A joint summer school in the second year will train graduate students from every partner "
    "country.",
    "Results will be discussed with national agencies to support their uptake in policy and "
    "practice.",
    "Each partner country hosts at least one joint workshop, so that every team gains "
    "experience of running shared experiments.",
)

_IN_PROSE = {"Philippines": "the Philippines"}
_DURATION_WORDS = {36: "three-year", 48: "four-year", 60: "five-year"}


def _pick(options: Sequence[_T], rng: np.random.Generator) -> _T:
    return options[int(rng.integers(len(options)))]


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def join_names(names: Sequence[str]) -> str:
    """``["A"]`` -> ``A``; ``["A", "B", "C"]`` -> ``A, B and C``."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def proposal_text(
    *,
    area: str,
    track: Literal["bilateral", "regional"],
    partner_names: Sequence[str],
    duration_months: int,
    rng: np.random.Generator,
) -> tuple[str, str]:
    """An invented (title, abstract) for a proposal in ``area`` with the named ASEAN partners."""
    phrases = AREA_PHRASES[area]
    partner_names = [_IN_PROSE.get(n, n) for n in partner_names]
    topic, purpose = _pick(phrases.topics, rng), _pick(phrases.purposes, rng)
    method_indices = rng.choice(len(phrases.methods), size=2, replace=False)
    method, method2 = (phrases.methods[int(i)] for i in method_indices)
    pair = (
        f"Japan-{partner_names[0].removeprefix('the ')}" if track == "bilateral" else "Japan-ASEAN"
    )
    title = _pick(_TITLES, rng).format(
        Topic=_capitalise(topic),
        topic=topic,
        Method=_capitalise(method),
        method=method,
        purpose=purpose,
        pair=pair,
    )
    places = join_names(["Japan", *partner_names])
    duration = _DURATION_WORDS.get(duration_months, f"{duration_months}-month")
    if track == "bilateral":
        team = (
            f"This {duration} fundamental-research project brings together researchers from "
            f"Japan and {partner_names[0]} to advance understanding of {topic}."
        )
    else:
        team = (
            f"This {duration} applied-research project brings together universities, "
            f"institutes and industry partners from {places} to turn advances in {topic} "
            "into practice."
        )
    output_indices = rng.choice(len(phrases.outputs), size=2, replace=False)
    outputs = join_names([phrases.outputs[int(i)] for i in output_indices])
    sentences = (
        _pick(phrases.problems, rng),
        team,
        _pick(_APPROACHES, rng).format(
            method=method,
            method2=method2,
            purpose=purpose,
            places=places,
        ),
        f"Expected outputs include {outputs}.",
        _pick(_CLOSINGS, rng),
    )
    return title, " ".join(_capitalise(s) for s in sentences)
