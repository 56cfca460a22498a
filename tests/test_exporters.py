"""policykg.exporters: every format reads back as what was compiled; files are written atomically.

RDF output is checked with two parsers independent of the writer: Debian's
raptor2 ``rapper`` and pyoxigraph, each normalised to N-Triples and compared, as
sets of rdflib triples, with the graph ``compile_graph`` made (no blank nodes).
Golden files in tests/data/exporters are regenerated with
``POLICYKG_REGENERATE_GOLDEN=1 python3 -m pytest tests/test_exporters.py``.
"""
from __future__ import annotations

import csv
import dataclasses
import errno
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import networkx as nx
import openpyxl
import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from policykg import model as m
from policykg.errors import DataError, OutputError, UsageError
from policykg.exporters import FORMATS, export, get_format, guess_format
from policykg.exporters.gexf import gexf_graph
from policykg.exporters.xlsx import MATRIX_SHEET, TASK_SHEET
from policykg.graph import DEFAULT_BASE_IRI, compile_graph, to_networkx
from policykg.ontology import ONTOLOGY_PATH, PKG_IRI
from policykg.render import display_width
from policykg.roles import LEAD, RESPONSIBLE, SUPPORT

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "data" / "exporters"
REGENERATE = os.environ.get("POLICYKG_REGENERATE_GOLDEN") == "1"
RAPPER = shutil.which("rapper")
needs_rapper = pytest.mark.skipif(
    RAPPER is None, reason="raptor2's rapper is not installed (apt-get install raptor2-utils)")
CSV_HEADER = ["plan", "measure", "title", "title_en", "agency_id", "agency", "agency_en",
              "role", "effective_role", "position"]
# rdflib's own JSON-LD parser uses its deprecated ConjunctiveGraph when tests read JSON-LD back.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
PROJECT_PREFIXES = {"pkg", "eli", "org", "prov", "skos", "dcterms", "schema", "rdf", "rdfs", "xsd", "owl",
                    "agency", "document", "sector"}


# --------------------------------------------------------------------------- helpers


def triples_of(graph: Graph) -> set:
    assert not any(isinstance(t, BNode) for triple in graph for t in triple), "blank nodes need isomorphic()"
    return set(graph)


def via_rapper(path: Path, syntax: str) -> set:
    """Parse with raptor2 and return the triples, read back from its N-Triples."""
    done = subprocess.run([RAPPER, "-q", "-i", syntax, "-o", "ntriples", str(path)],
                          capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert not done.stderr.strip(), done.stderr.decode()
    return triples_of(Graph().parse(data=done.stdout.decode("utf-8"), format="nt"))


def via_pyoxigraph(data: bytes, fmt: ox.RdfFormat) -> set:
    nt = ox.serialize(ox.parse(data, format=fmt), format=ox.RdfFormat.N_TRIPLES)
    return triples_of(Graph().parse(data=nt.decode("utf-8"), format="nt"))


def ontology_triples() -> set:
    return triples_of(Graph().parse(ONTOLOGY_PATH, format="turtle"))


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def with_measure(dataset: m.Dataset, number: int, **changes) -> m.Dataset:
    """``dataset`` with measure ``number`` of its first plan changed."""
    plan = dataset.plans[0]
    measures = tuple(dataclasses.replace(x, **changes) if x.number == number else x for x in plan.measures)
    return dataclasses.replace(dataset, plans=(dataclasses.replace(plan, measures=measures),) + dataset.plans[1:])


@pytest.fixture(scope="module")
def tricky_dataset(small_dataset) -> m.Dataset:
    """Literals every RDF syntax must escape: quotes, backslashes, line ends, control and astral characters."""
    return with_measure(small_dataset, 1, body='引号"内"\\反斜杠\n第二行\r\t制表\x01控制 😀 end\\',
                        title_en='A "quoted" title \\ with a backslash')


# --------------------------------------------------------------------------- registry


def test_formats_registry():
    assert list(FORMATS) == ["turtle", "nt", "jsonld", "graphml", "gexf", "csv", "xlsx"]
    assert len({f.extension for f in FORMATS.values()}) == len(FORMATS)
    for spec in FORMATS.values():
        assert spec.description and spec.media_type and spec.extension.startswith(".")
        assert guess_format(f"out{spec.extension}") == spec.name
    assert [f.name for f in FORMATS.values() if f.binary] == ["xlsx"]
    assert get_format("TTL").name == "turtle" and get_format("json-ld").name == "jsonld"
    assert guess_format("out.txt") is None


def test_unknown_format_names_the_known_ones(small_dataset):
    with pytest.raises(UsageError) as err:
        export(small_dataset, "rdfxml")
    assert "rdfxml" in str(err.value)
    for name in FORMATS:
        assert name in str(err.value)


@pytest.mark.parametrize("fmt, option", [("csv", "with_ontology"), ("graphml", "with_ontology"),
                                         ("turtle", "bom"), ("xlsx", "bom")])
def test_option_a_format_does_not_take(small_dataset, tmp_path, fmt, option):
    with pytest.raises(UsageError):
        export(small_dataset, fmt, tmp_path / f"out.{fmt}", **{option: True})
    assert not list(tmp_path.iterdir())


def test_binary_format_needs_a_file(small_dataset):
    with pytest.raises(UsageError, match="output file"):
        export(small_dataset, "xlsx")


def test_bad_base_iri(small_dataset):
    with pytest.raises(UsageError, match="base IRI"):
        export(small_dataset, "turtle", base_iri="https://example.org/no slash")


# --------------------------------------------------------------------------- Turtle and N-Triples


@pytest.mark.parametrize("fmt, syntax", [("turtle", "turtle"), ("nt", "ntriples")])
@needs_rapper
def test_rdf_parses_in_rapper_as_compiled(any_dataset, tmp_path, fmt, syntax):
    path = tmp_path / f"out{FORMATS[fmt].extension}"
    assert export(any_dataset, fmt, path) is None
    assert via_rapper(path, syntax) == triples_of(compile_graph(any_dataset))


@pytest.mark.parametrize("fmt, oxfmt", [("turtle", ox.RdfFormat.TURTLE), ("nt", ox.RdfFormat.N_TRIPLES)])
def test_rdf_parses_in_pyoxigraph_as_compiled(any_dataset, fmt, oxfmt):
    assert via_pyoxigraph(export(any_dataset, fmt), oxfmt) == triples_of(compile_graph(any_dataset))


@pytest.mark.parametrize("fmt, syntax, oxfmt", [("turtle", "turtle", ox.RdfFormat.TURTLE),
                                                ("nt", "ntriples", ox.RdfFormat.N_TRIPLES)])
def test_escaped_literals_survive(tricky_dataset, tmp_path, fmt, syntax, oxfmt):
    expected = triples_of(compile_graph(tricky_dataset))
    assert Literal('A "quoted" title \\ with a backslash', lang="en") in {o for _, _, o in expected}
    data = export(tricky_dataset, fmt)
    assert via_pyoxigraph(data, oxfmt) == expected
    assert triples_of(Graph().parse(data=data.decode("utf-8"), format=syntax)) == expected
    if RAPPER:
        path = tmp_path / "tricky"
        path.write_bytes(data)
        assert via_rapper(path, syntax) == expected


def test_turtle_is_byte_stable(small_dataset):
    assert export(small_dataset, "turtle") == export(small_dataset, "turtle")


def test_turtle_and_jsonld_stable_across_hash_seeds(tmp_path):
    # Set order follows PYTHONHASHSEED; a fresh process per seed shows none of it reaches the output.
    script = ("import hashlib; from policykg.loader import load; from policykg.exporters import export; "
              "ds = load(); print(*(hashlib.sha256(export(ds, f)).hexdigest() for f in ('turtle', 'nt', 'jsonld')))")
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        digests.add(done.stdout)
    assert len(digests) == 1


def test_turtle_prefixes_are_the_used_project_ones(shipped_dataset):
    text = export(shipped_dataset, "turtle").decode("utf-8")
    declared = {line.split()[1].rstrip(":") for line in text.splitlines() if line.startswith("@prefix")}
    assert {"pkg", "eli", "skos", "dcterms", "agency", "xsd"} <= declared <= PROJECT_PREFIXES
    assert "prov" not in declared  # no prov: term in the data
    for prefix in declared:
        assert f"{prefix}:" in text.split("\n\n", 1)[1], f"{prefix} declared but unused"
    assert "\n    a eli:LegalResourceSubdivision ,\n        pkg:Measure" in text  # rdf:type written as "a"


def test_ntriples_lines_sorted_and_unique(shipped_dataset):
    lines = export(shipped_dataset, "nt").decode("utf-8").splitlines()
    assert lines == sorted(set(lines))
    assert len(lines) == len(compile_graph(shipped_dataset))


@pytest.mark.parametrize("fmt", ["turtle", "nt"])
def test_with_ontology_adds_the_ontology(small_dataset, fmt):
    oxfmt = ox.RdfFormat.TURTLE if fmt == "turtle" else ox.RdfFormat.N_TRIPLES
    data = triples_of(compile_graph(small_dataset))
    both = via_pyoxigraph(export(small_dataset, fmt, with_ontology=True), oxfmt)
    assert both == data | ontology_triples()
    assert len(both) > len(data)


def test_base_iri_option(small_dataset):
    base = "http://example.org/kg/"
    text = export(small_dataset, "turtle", base_iri=base).decode("utf-8")
    assert f"@prefix agency: <{base}agency/> ." in text
    assert DEFAULT_BASE_IRI not in text
    assert via_pyoxigraph(text.encode(), ox.RdfFormat.TURTLE) == triples_of(compile_graph(small_dataset, base))


def test_rdf_type_is_a_only_as_predicate(tmp_path):
    """rdf:type as a subject or an object is written in full: "a" there is not Turtle."""
    from policykg.exporters._rdf import BASE_PREFIXES, sort_triples
    from policykg.exporters.turtle import write_table

    rdf_type = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    triples = [(URIRef("https://example.org/x"), rdf_type, URIRef(f"{PKG_IRI}Measure")),
               (URIRef("https://example.org/x"), URIRef(f"{PKG_IRI}uses"), rdf_type),
               (rdf_type, URIRef("http://www.w3.org/2000/01/rdf-schema#label"), Literal("type", lang="en"))]
    buffer = io.BytesIO()
    write_table(sort_triples(triples), dict(BASE_PREFIXES), buffer)
    text = buffer.getvalue().decode("utf-8")
    assert "\n    a pkg:Measure" in text and f"pkg:uses <{rdf_type}>" in text
    assert "@prefix rdf:" not in text  # rdf:type alone needs no rdf: prefix
    assert via_pyoxigraph(buffer.getvalue(), ox.RdfFormat.TURTLE) == set(triples)
    if RAPPER:
        path = tmp_path / "type.ttl"
        path.write_bytes(buffer.getvalue())
        assert via_rapper(path, "turtle") == set(triples)


def test_one_writer_reads_back(tricky_dataset):
    """graph.turtle writes the exporter's Turtle; its reader gives back the N-Triples terms it was given."""
    from policykg.graph.compile import iter_triples
    from policykg.graph.turtle import Expander, Shortener, ntriples_blocks, prefix_lines, turtle_chunk
    from policykg.exporters._rdf import candidate_prefixes

    triples = sorted(set(iter_triples(tricky_dataset, terms="ntriples")))
    prefixes = candidate_prefixes(DEFAULT_BASE_IRI)
    short = Shortener(prefixes)
    body, count = turtle_chunk(reversed(triples + triples[:5]), short)  # any order, duplicates dropped
    assert count == len(triples)
    lines = [line for _, block in ntriples_blocks(body.decode("utf-8"), Expander(prefixes))
             for line in block.splitlines(keepends=True)]
    assert lines == [f"{s} {p} {o} .\n" for s, p, o in triples]
    # the exporter is the same writer over the whole table, under the prefixes it used
    exported = export(tricky_dataset, "turtle")
    assert exported == prefix_lines(short.used()).encode() + b"\n" + body
    assert "prov" not in short.used() and "pkg" in short.used()


def test_shortener_shortens_only_plain_local_names():
    from policykg.graph.turtle import Shortener

    short = Shortener({"ex": "https://example.org/", "xsd": "http://www.w3.org/2001/XMLSchema#"})
    assert short("<https://example.org/a-b_1>") == "ex:a-b_1"
    for iri in ("<https://example.org/1a>", "<https://example.org/-a>", "<https://example.org/a.b>",
                "<https://example.org/a%20b>", "<https://example.org/>", "<https://example.org/x/y>",
                "<https://other.org/a>"):
        assert short(iri) == iri
    assert short('"5"^^<http://www.w3.org/2001/XMLSchema#integer>') == '"5"^^xsd:integer'
    assert short('"a ^^<https://example.org/x>"@en') == '"a ^^<https://example.org/x>"@en'
    assert short("_:b1") == "_:b1"
    assert list(short.used()) == ["ex", "xsd"]


# --------------------------------------------------------------------------- JSON-LD


def test_jsonld_isomorphic_to_turtle(any_dataset):
    from_jsonld = Graph().parse(data=export(any_dataset, "jsonld").decode("utf-8"), format="json-ld")
    from_turtle = Graph().parse(data=export(any_dataset, "turtle").decode("utf-8"), format="turtle")
    assert isomorphic(from_jsonld, from_turtle)
    assert triples_of(from_jsonld) == triples_of(compile_graph(any_dataset))


def test_jsonld_context_names_only_project_prefixes(shipped_dataset):
    document = json.loads(export(shipped_dataset, "jsonld"))
    context = document["@context"]
    assert {"pkg", "eli", "skos", "dcterms", "agency"} <= set(context) <= PROJECT_PREFIXES
    assert context["pkg"] == PKG_IRI
    assert "brick" not in context and "foaf" not in context  # prefixes rdflib knows, unused here
    ids = [node["@id"] for node in document["@graph"]]
    assert ids == sorted(ids)


def test_jsonld_with_ontology(small_dataset):
    graph = Graph().parse(data=export(small_dataset, "jsonld", with_ontology=True).decode("utf-8"),
                          format="json-ld")
    assert triples_of(graph) == triples_of(compile_graph(small_dataset)) | ontology_triples()


# --------------------------------------------------------------------------- GraphML and GEXF


def edge_set(graph: nx.MultiDiGraph) -> dict:
    return {(u, v, k): d for u, v, k, d in graph.edges(keys=True, data=True)}


def test_graphml_round_trip(any_dataset, tmp_path):
    expected = to_networkx(compile_graph(any_dataset))
    path = tmp_path / "out.graphml"
    export(any_dataset, "graphml", path)
    back = nx.read_graphml(path, force_multigraph=True)
    assert isinstance(back, nx.MultiDiGraph) and back.is_directed()
    assert dict(back.nodes(data=True)) == dict(expected.nodes(data=True))
    assert edge_set(back) == edge_set(expected)
    roles = {d["role_zh"] for _, _, d in back.edges(data=True) if "role_zh" in d}
    assert roles <= {LEAD, RESPONSIBLE, SUPPORT} and roles


def gexf_expected_node(attrs: dict, mixed: set[str]) -> dict:
    out = {("short_id" if k == "id" else k): (str(v) if k in mixed else v) for k, v in attrs.items()}
    out["label"] = attrs["label_zh"] or attrs["label_en"]
    return out


def test_gexf_round_trip(any_dataset, tmp_path):
    expected = to_networkx(compile_graph(any_dataset))
    path = tmp_path / "out.gexf"
    export(any_dataset, "gexf", path)
    back = nx.read_gexf(path)
    assert back.is_directed()
    types: dict[str, set] = {}
    for _, attrs in expected.nodes(data=True):
        for k, v in attrs.items():
            types.setdefault(k, set()).add(type(v))
    mixed = {k for k, seen in types.items() if len(seen) > 1}
    assert set(back.nodes) == set(expected.nodes)
    for node, attrs in expected.nodes(data=True):
        assert back.nodes[node] == gexf_expected_node(attrs, mixed)
    # Without parallel edges networkx reads a DiGraph; the key is the edge label.
    read = {(u, v, d["label"]): {k: x for k, x in d.items() if k not in ("id", "label")}
            for u, v, d in back.edges(data=True)}
    assert read == edge_set(expected)


def test_gexf_parallel_edges_keep_keys(small_dataset, tmp_path):
    # Measure 1 both implements and cites one document: two edges, keys tell them apart.
    doc = small_dataset.plans[0].documents[0].id
    dataset = with_measure(small_dataset, 1, documents=(m.DocumentLink(doc, "implements"),
                                                        m.DocumentLink(doc, "cites")))
    expected = to_networkx(compile_graph(dataset))
    path = tmp_path / "parallel.gexf"
    export(dataset, "gexf", path)
    back = nx.read_gexf(path)
    assert isinstance(back, nx.MultiDiGraph)
    assert set(back.edges(keys=True)) == set(expected.edges(keys=True))
    measure = next(n for n, d in expected.nodes(data=True) if d.get("id") == "test-plan/1")
    assert set(back[measure][f"{DEFAULT_BASE_IRI}document/{doc}"]) == {"implements", "cites"}


def test_network_export_leaves_the_view_alone(small_dataset):
    view = to_networkx(compile_graph(small_dataset))
    before = (dict(view.nodes(data=True)), edge_set(view))
    gexf_graph(view)
    assert (dict(view.nodes(data=True)), edge_set(view)) == before


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_network_formats_byte_stable(small_dataset, fmt):
    first = export(small_dataset, fmt)
    assert first == export(small_dataset, fmt)
    assert b"2022-08-04" in first or fmt == "graphml"  # GEXF's lastmodifieddate is the plan date


# --------------------------------------------------------------------------- CSV


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def test_csv_rows_are_the_assignments(any_dataset):
    rows = read_csv(export(any_dataset, "csv"))
    assert rows[0] == CSV_HEADER
    expected = [(p.id, str(x.number), a.agency, a.role, a.effective, str(a.position))
                for p in any_dataset.plans for x in sorted(p.measures, key=lambda x: x.number)
                for a in x.assignments]
    assert len(rows) - 1 == sum(len(x.assignments) for x in any_dataset.measures())
    assert [(r[0], r[1], r[4], r[7], r[8], r[9]) for r in rows[1:]] == expected


def test_csv_roles_as_written_and_effective(small_dataset):
    rows = [dict(zip(CSV_HEADER, r)) for r in read_csv(export(small_dataset, "csv"))[1:]]
    by_measure = {}
    for r in rows:
        by_measure.setdefault(r["measure"], []).append((r["agency"], r["role"], r["effective_role"]))
    assert by_measure["1"] == [("市邮政管理局", LEAD, "lead"), ("市商务局", SUPPORT, "support")]
    assert by_measure["2"] == [("市科技局", RESPONSIBLE, "lead"), ("各县（市、区）人民政府", RESPONSIBLE, "lead")]
    assert by_measure["3"] == [("市商务局", LEAD, "lead"), ("市发展改革委", RESPONSIBLE, "support"),
                               ("各县（市、区）人民政府", SUPPORT, "support")]
    assert rows[0]["agency_en"] == "Jincheng Postal Administration" and rows[0]["title_en"] == "Measure 1"


def test_csv_bom(small_dataset):
    plain, marked = export(small_dataset, "csv"), export(small_dataset, "csv", bom=True)
    assert plain.startswith(b"plan,") and marked == b"\xef\xbb\xbf" + plain
    assert marked.decode("utf-8-sig") == plain.decode("utf-8")
    assert plain.endswith(b"\r\n") and plain.count(b"\r\n") == len(read_csv(plain))


def test_csv_golden(small_dataset):
    data = export(small_dataset, "csv")
    golden = GOLDEN / "small.csv"
    if REGENERATE:
        golden.write_bytes(data)
    assert data.decode("utf-8").splitlines() == golden.read_text(encoding="utf-8").splitlines()


def test_turtle_golden_graph(small_dataset):
    data = export(small_dataset, "turtle")
    golden = GOLDEN / "small.ttl"
    if REGENERATE:
        golden.write_bytes(data)
    assert isomorphic(Graph().parse(data=data.decode("utf-8"), format="turtle"),
                      Graph().parse(golden, format="turtle"))


# --------------------------------------------------------------------------- xlsx


@pytest.fixture(scope="module")
def shipped_workbook(shipped_dataset, tmp_path_factory):
    path = tmp_path_factory.mktemp("xlsx") / "plan.xlsx"
    export(shipped_dataset, "xlsx", path)
    return path


def test_xlsx_sheets_and_task_rows(shipped_dataset, shipped_workbook):
    book = openpyxl.load_workbook(shipped_workbook)
    assert book.sheetnames == [TASK_SHEET, MATRIX_SHEET]
    tasks = book[TASK_SHEET]
    header = [c.value for c in tasks[1]]
    assert header[:2] == ["序号", "重点任务"] and {"牵头单位", "负责单位", "配合单位", "目标任务", "完成时限"} <= set(header)
    measures = list(shipped_dataset.measures())
    assert tasks.max_row == len(measures) + 1
    names = shipped_dataset.agencies
    col = {name: i for i, name in enumerate(header)}
    for row, measure in zip(tasks.iter_rows(min_row=2, values_only=True), measures):
        assert row[col["序号"]] == measure.number and row[col["重点任务"]] == measure.title
        for column, role in (("牵头单位", LEAD), ("负责单位", RESPONSIBLE), ("配合单位", SUPPORT)):
            listed = "、".join(names[a.agency].name for a in measure.assignments if a.role == role)
            assert (row[col[column]] or "") == listed
        texts = [t.text for t in measure.targets if t.text]
        assert all(t in (row[col["目标任务"]] or "") for t in texts)


def test_xlsx_matrix_matches_data(shipped_dataset, shipped_workbook):
    matrix = openpyxl.load_workbook(shipped_workbook)[MATRIX_SHEET]
    rows = list(matrix.iter_rows(values_only=True))
    header = rows[0]
    agency_by_name = {a.name: a.id for a in shipped_dataset.agencies.values()}
    agency_ids = [agency_by_name[name] for name in header[2:]]
    assert set(agency_ids) == {a.agency for x in shipped_dataset.measures() for a in x.assignments}
    assert len(rows) - 1 == len(list(shipped_dataset.measures()))
    for row, measure in zip(rows[1:], shipped_dataset.measures()):
        assert row[0] == measure.number
        roles = {a.agency: a.role for a in measure.assignments}
        assert [cell or "" for cell in row[2:]] == [roles.get(aid, "") for aid in agency_ids]


def test_xlsx_layout(shipped_dataset, shipped_workbook):
    book = openpyxl.load_workbook(shipped_workbook)
    tasks, matrix = book[TASK_SHEET], book[MATRIX_SHEET]
    assert tasks.freeze_panes == "A2"
    assert matrix.freeze_panes == "C2"  # header row and the number / task columns
    # Widths count a CJK character as two: the title column is wider than its character count.
    longest = max((x.title for x in shipped_dataset.measures()), key=display_width)
    assert tasks.column_dimensions["B"].width >= min(display_width(longest), 30) > len(longest)
    assert tasks.cell(row=2, column=3).alignment.wrap_text
    assert matrix.cell(row=1, column=3).alignment.wrap_text
    assert book.properties.created.date() == shipped_dataset.plans[0].date
    assert book.properties.modified.date() == shipped_dataset.plans[0].date


def test_xlsx_byte_stable(small_dataset, tmp_path):
    export(small_dataset, "xlsx", tmp_path / "a.xlsx")
    export(small_dataset, "xlsx", tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_xlsx_several_plans_get_a_plan_column(small_dataset, tmp_path):
    other = dataclasses.replace(small_dataset.plans[0], id="test-plan-2", number="晋市政办〔2023〕1号")
    dataset = dataclasses.replace(small_dataset, plans=small_dataset.plans + (other,))
    export(dataset, "xlsx", tmp_path / "two.xlsx")
    tasks = openpyxl.load_workbook(tmp_path / "two.xlsx")[TASK_SHEET]
    assert tasks.cell(row=1, column=1).value == "文件"
    assert tasks.max_row == 1 + 2 * len(small_dataset.plans[0].measures)
    assert tasks.cell(row=tasks.max_row, column=1).value == "晋市政办〔2023〕1号"


# --------------------------------------------------------------------------- writing files


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_writes_its_file(small_dataset, tmp_path, fmt):
    path = tmp_path / f"out{FORMATS[fmt].extension}"
    assert export(small_dataset, fmt, path) is None
    assert path.stat().st_size > 0
    if not FORMATS[fmt].binary:
        assert path.read_bytes() == export(small_dataset, fmt)
    assert temp_files(tmp_path) == []


def test_missing_folder_is_an_output_error(small_dataset, tmp_path):
    with pytest.raises(OutputError, match="no-such-folder"):
        export(small_dataset, "turtle", tmp_path / "no-such-folder" / "out.ttl")


def test_parent_is_a_file(small_dataset, tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError):
        export(small_dataset, "csv", tmp_path / "file" / "out.csv")


def test_folder_as_output(small_dataset, tmp_path):
    (tmp_path / "out.ttl").mkdir()
    with pytest.raises(OutputError, match="folder"):
        export(small_dataset, "turtle", tmp_path / "out.ttl")
    assert temp_files(tmp_path) == []


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root writes into read-only folders; the disk-full test covers the error path")
def test_read_only_folder_keeps_existing_file(small_dataset, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    target = folder / "out.ttl"
    target.write_bytes(b"previous\n")
    folder.chmod(0o555)
    try:
        with pytest.raises(OutputError):
            export(small_dataset, "turtle", target)
    finally:
        folder.chmod(0o755)
    assert target.read_bytes() == b"previous\n"
    assert temp_files(folder) == []


@pytest.mark.parametrize("fmt", ["turtle", "xlsx"])
def test_disk_full_keeps_existing_file(small_dataset, tmp_path, monkeypatch, fmt):
    target = tmp_path / f"out{FORMATS[fmt].extension}"
    target.write_bytes(b"previous\n")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError, match="No space left"):
        export(small_dataset, fmt, target)
    assert target.read_bytes() == b"previous\n"
    assert temp_files(tmp_path) == []


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_failure_mid_write_leaves_no_temp_file(small_dataset, tmp_path, monkeypatch, error):
    from policykg.exporters import turtle

    def half_then_fail(table, prefixes, stream):
        stream.write(b"@prefix pkg: <https://example.org/> .\n" * 1000)
        raise error

    monkeypatch.setattr(turtle, "write_table", half_then_fail)
    target = tmp_path / "out.ttl"
    target.write_bytes(b"previous\n")
    with pytest.raises(type(error)):
        export(small_dataset, "turtle", target)
    assert target.read_bytes() == b"previous\n"
    assert temp_files(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.ttl"]


def test_unwritable_term_is_a_data_error(small_dataset):
    from policykg.exporters._rdf import sort_triples

    with pytest.raises(DataError, match="absolute IRI"):
        sort_triples([(URIRef("https://example.org/a b"), URIRef("https://example.org/p"), Literal("x"))])


def test_shipped_turtle_has_every_measure(shipped_dataset):
    ttl = export(shipped_dataset, "turtle").decode("utf-8")
    assert ttl.count("\n    a eli:LegalResourceSubdivision ,\n        pkg:Measure ;") == len(shipped_dataset.plans[0].measures) == 66
