"""Attachments are judged by their bytes: real PDFs built in memory, and files that only
pretend to be PDFs."""

from __future__ import annotations

import hashlib
import io
import logging
import unicodedata
import zipfile

import pypdf
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nexus_sti.core.errors import InvalidInput
from nexus_sti.proposals.attachments import (
    AttachmentLimits,
    CheckedAttachment,
    check_attachment,
    safe_filename,
)

MIB = 1024 * 1024


def make_pdf(pages: int = 1, *, password: str | None = None) -> bytes:
    writer = pypdf.PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if password is not None:
        writer.encrypt(password)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def make_docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def refusal(data: bytes, *, filename: str = "proposal.pdf", **limits: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        check_attachment(data, filename=filename, limits=AttachmentLimits(**limits))  # type: ignore[arg-type]
    assert info.value.field == "file"
    return info.value


def test_a_real_pdf_is_accepted_with_its_pages_digest_and_name() -> None:
    data = make_pdf(3)
    checked = check_attachment(data, filename="research plan.pdf")
    assert checked == CheckedAttachment(
        media_type="application/pdf",
        size=len(data),
        pages=3,
        sha256=hashlib.sha256(data).hexdigest(),
        filename="research plan.pdf",
    )


def test_the_content_decides_not_the_name() -> None:
    assert check_attachment(make_pdf(), filename="plan.docx").media_type == "application/pdf"


def test_a_pdf_header_after_leading_junk_is_accepted_as_readers_do() -> None:
    assert check_attachment(b"\x00" * 500 + make_pdf(), filename="x.pdf").pages == 1


def test_a_pdf_header_beyond_the_first_kilobyte_is_not_a_pdf() -> None:
    error = refusal(b"\x00" * 1100 + make_pdf())
    assert error.rule == "media_type"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "PNG image data"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 64, "JPEG image data"),
        (b"GIF89a" + b"\x00" * 64, "GIF image data"),
        (make_docx(), "a ZIP archive (such as a Word .docx or Excel .xlsx file)"),
    ],
)
def test_a_renamed_file_is_refused_and_the_message_says_what_it_is(data: bytes, words: str) -> None:
    error = refusal(data, filename="final_proposal.pdf")
    assert error.rule == "media_type"
    assert error.message == f"not a PDF: the file's content is {words}"


def test_a_png_carrying_a_pdf_header_is_still_a_png() -> None:
    error = refusal(b"\x89PNG\r\n\x1a\n" + make_pdf())
    assert "PNG image data" in error.message


def test_plain_text_is_not_a_pdf() -> None:
    error = refusal("これはPDFではありません".encode())
    assert error.rule == "media_type"
    assert error.message.startswith("not a PDF:")
    assert "%PDF-" in error.message


def test_an_empty_file_is_refused() -> None:
    error = refusal(b"")
    assert error.rule == "empty"
    assert "empty" in error.message


def test_a_file_over_the_size_limit_names_the_limit_and_its_size() -> None:
    data = make_pdf() + b"\n" * (10 * MIB)
    error = refusal(data)
    assert error.rule == "max_size"
    assert error.message == "the file is 10.1 MB, over the 10 MB limit"
    assert error.details["limit"] == 10 * MIB


def test_a_file_one_byte_over_never_reads_as_the_limit_itself() -> None:
    error = refusal(b"%PDF-" + b"x" * (MIB - 4), max_bytes=MIB)
    assert error.message == "the file is 1.1 MB, over the 1 MB limit"


def test_a_file_exactly_at_the_size_limit_passes_the_size_check() -> None:
    data = make_pdf()
    assert check_attachment(data, filename="a.pdf", limits=AttachmentLimits(max_bytes=len(data)))


@pytest.mark.parametrize(
    "data",
    [
        make_pdf(2)[: len(make_pdf(2)) // 2],
        make_pdf()[:-40],
        b"%PDF-1.7\nthis is not a PDF body at all\n",
        b"%PDF-",
    ],
    ids=["half", "tail cut", "garbage body", "header only"],
)
def test_a_truncated_or_corrupt_pdf_is_refused_as_unreadable(
    data: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        error = refusal(data)
    assert error.rule == "unreadable"
    assert error.message.startswith("the PDF cannot be read")
    assert not [r for r in caplog.records if r.name.startswith("pypdf")]
    assert logging.getLogger("pypdf").level == logging.NOTSET


def test_an_encrypted_pdf_is_refused_because_reviewers_could_not_open_it() -> None:
    error = refusal(make_pdf(password="secret"))
    assert error.rule == "encrypted"
    assert "reviewers must be able to open it" in error.message


def test_the_page_limit_is_inclusive() -> None:
    assert check_attachment(make_pdf(40), filename="a.pdf").pages == 40
    error = refusal(make_pdf(41))
    assert error.rule == "max_pages"
    assert error.message == "the PDF has 41 pages, over the limit of 40"


def test_a_call_may_set_its_own_page_limit() -> None:
    assert refusal(make_pdf(3), max_pages=2).details == {
        "field": "file",
        "rule": "max_pages",
        "pages": 3,
        "limit": 2,
    }


def test_a_call_that_also_accepts_images_gets_no_page_count_for_them() -> None:
    limits = AttachmentLimits(allowed=("application/pdf", "image/png"))
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    assert check_attachment(png, filename="map.png", limits=limits).pages is None
    error = refusal(b"GIF89a", allowed=("application/pdf", "image/png"))
    assert error.message == (
        "file type not accepted: the file's content is GIF image data; "
        "accepted: application/pdf, image/png"
    )


@pytest.mark.parametrize(
    ("given_name", "kept"),
    [
        ("C:\\Users\\somchai\\Documents\\ข้อเสนอโครงการ.pdf", "ข้อเสนอโครงการ.pdf"),
        ("../../etc/passwd", "passwd"),
        ("研究計画書_佐藤健.pdf", "研究計画書_佐藤健.pdf"),
        ("សំណើគម្រោង.pdf", "សំណើគម្រោង.pdf"),
        ("Nguyễn Thị Lan.pdf", "Nguyễn Thị Lan.pdf"),
        ("bad\x00name\r\n.pdf", "badname.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("", "attachment.pdf"),
        ("   ", "attachment.pdf"),
        ("folder/", "attachment.pdf"),
        ("..", "attachment.pdf"),
    ],
)
def test_file_names_are_reduced_to_a_safe_base_name(given_name: str, kept: str) -> None:
    assert check_attachment(make_pdf(), filename=given_name).filename == kept


def test_a_decomposed_name_from_macos_is_stored_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "プロポーザル.pdf")
    assert safe_filename(decomposed) == "プロポーザル.pdf"


def test_a_long_name_is_cut_to_255_characters_keeping_the_extension() -> None:
    name = safe_filename("สมชาย" * 100 + ".pdf")
    assert len(name) == 255
    assert name.endswith(".pdf")
    assert unicodedata.category(name[-5]).startswith("L")


@given(st.text(max_size=400))
def test_any_name_gives_a_non_empty_base_name_without_separators_or_controls(raw: str) -> None:
    name = safe_filename(raw)
    assert 0 < len(name) <= 255
    assert "/" not in name and "\\" not in name
    assert not any(unicodedata.category(ch) == "Cc" for ch in name)


def test_pdfs_with_active_content_are_refused_with_what_was_found() -> None:
    import io

    import pypdf
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    def pdf(extra: dict[str, object]) -> bytes:
        writer = pypdf.PdfWriter()
        writer.add_blank_page(width=595, height=842)
        for key, value in extra.items():
            writer._root_object[NameObject(key)] = value  # type: ignore[index]
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    js = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("1")}
    )
    launch = DictionaryObject(
        {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("x.exe")}
    )
    for extra, found in (({"/OpenAction": js}, "JavaScript"), ({"/OpenAction": launch}, "launch")):
        with pytest.raises(InvalidInput) as caught:
            check_attachment(pdf(extra), filename="p.pdf")
        assert caught.value.rule == "active_content"
        assert found in caught.value.message
    assert check_attachment(pdf({}), filename="p.pdf").pages == 1
