"""MovieLens as downloaded loads with its titles: a zip read in memory, or the files selected together."""

from __future__ import annotations

import io
import struct
import zipfile

import numpy as np
import pytest

from recsys_core.data import FileTooLargeError, RatingsFormatError, load_ratings, load_upload
from recsys_core.data.text import _read_limited
from tests.fixtures import movielens

FLAGS = ["0"] * 19


def flags(*columns: int) -> str:
    """u.item's 19 genre flags with the given (0-based) flag columns set: 1 Action, 5 Comedy, 8 Drama."""
    row = FLAGS.copy()
    for column in columns:
        row[column] = "1"
    return "|".join(row)


U_DATA = b"1\t10\t4\t881250949\n1\t20\t3\t881250950\n2\t10\t5\t881250951\n2\t30\t1\t881250952\n"
U_ITEM = (
    f"10|Toy Story (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Toy%20Story%20(1995)|{flags(5)}\n"
    f"20|Café au lait (1994)|01-Jan-1994||http://x|{flags(5, 8)}\n"
    f"30|Heat (1995)|01-Jan-1995||http://x|{flags(1)}\n"
).encode("latin-1")
RATINGS_CSV = b"userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,4.5,964981247\n2,1,0.5,964982224\n"
MOVIES_CSV = b'movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n3,"Usual Suspects, The (1995)",Crime\n'
RATINGS_DAT = b"1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n"
MOVIES_DAT = "661::James and the Giant Peach (1996)::Animation|Children's\n1193::Amélie (2001)::Comedy\n".encode("latin-1")


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def error_of(files) -> RatingsFormatError:
    with pytest.raises(RatingsFormatError) as caught:
        load_upload(files)
    return caught.value


def titles(ratings) -> list[str]:
    return [ratings.title(i) for i in range(ratings.n_items)]


# --- zips as GroupLens ships them --------------------------------------------------------------


def test_an_ml_100k_zip_loads_u_data_with_titles_and_genres_from_u_item():
    ratings = load_upload([("ml-100k.zip", zipped({"ml-100k/u.data": U_DATA, "ml-100k/u.item": U_ITEM}))])
    assert (ratings.n_users, ratings.n_items, len(ratings)) == (2, 3, 4)
    assert titles(ratings) == ["Toy Story (1995)", "Café au lait (1994)", "Heat (1995)"]
    assert ratings.genres_of(1) == ("Comedy", "Drama")
    assert ratings.source == "ml-100k.zip: ml-100k/u.data"
    assert ratings.notes == ("ml-100k.zip: ml-100k/u.item, line 2: not UTF-8, so the file was read as Latin-1.",)


def test_an_ml_latest_small_zip_loads_ratings_csv_with_quoted_titles_and_half_stars():
    archive = zipped({"ml-latest-small/ratings.csv": RATINGS_CSV, "ml-latest-small/movies.csv": MOVIES_CSV,
                      "ml-latest-small/tags.csv": b"userId,movieId,tag,timestamp\n"})
    ratings = load_upload([("ml-latest-small.zip", archive)])
    assert titles(ratings) == ["Toy Story (1995)", "Usual Suspects, The (1995)"]
    assert ratings.genres_of(0) == ("Adventure", "Animation")
    assert ratings.rating_scale == (0.5, 5.0)
    assert ratings.notes == ("ratings run from 0.5 to 5 in half stars.",)


def test_an_ml_1m_zip_loads_ratings_dat_with_latin1_movies_dat():
    ratings = load_upload([("ml-1m.zip", zipped({"ml-1m/ratings.dat": RATINGS_DAT, "ml-1m/movies.dat": MOVIES_DAT}))])
    assert titles(ratings) == ["James and the Giant Peach (1996)", "Amélie (2001)"]
    assert ratings.genres_of(0) == ("Animation", "Children's")
    np.testing.assert_array_equal(ratings.timestamps, [978300760, 978302109, 978298413])


def test_only_the_ratings_and_titles_members_are_opened(monkeypatch):
    archive = zipped({"ml-100k/README": b"x", "ml-100k/u1.base": b"\x00garbage", "ml-100k/u.data": U_DATA,
                      "ml-100k/u.item": U_ITEM, "ml-100k/u.user": b"1|24|M|technician|85711\n"})
    opened = []
    real_open = zipfile.ZipFile.open

    def recording_open(self, name, *args, **kwargs):
        opened.append(getattr(name, "filename", name))
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", recording_open)
    load_upload([("ml-100k.zip", archive)])
    assert sorted(opened) == ["ml-100k/u.data", "ml-100k/u.item"]


def test_a_zip_with_the_files_at_its_top_level_loads_too():
    ratings = load_ratings(io.BytesIO(zipped({"u.data": U_DATA, "u.item": U_ITEM})), name="mine.zip")
    assert ratings.title(0) == "Toy Story (1995)"


def test_macos_resource_forks_beside_the_files_are_ignored():
    archive = zipped({"__MACOSX/ml-100k/._u.data": b"\x00\x05\x16\x07", "ml-100k/._u.data": b"\x00\x05",
                      "ml-100k/u.data": U_DATA, "ml-100k/u.item": U_ITEM})
    assert len(load_upload([("ml-100k.zip", archive)])) == 4


def test_load_ratings_reads_a_zip_path_like_an_upload(tmp_path):
    path = tmp_path / "ml-1m.zip"
    path.write_bytes(zipped({"ml-1m/ratings.dat": RATINGS_DAT, "ml-1m/movies.dat": MOVIES_DAT}))
    assert load_ratings(path).title(1) == "Amélie (2001)"


def test_an_error_in_a_zip_member_names_the_zip_the_member_and_the_line():
    bad = U_DATA.replace(b"2\t10\t5", b"2\t10\tfive")
    error = error_of([("ml-100k.zip", zipped({"ml-100k/u.data": bad, "ml-100k/u.item": U_ITEM}))])
    assert str(error).startswith("ml-100k.zip: ml-100k/u.data, line 3: rating 'five' is not a number.")


def test_a_zip_without_its_titles_file_still_loads_the_ratings():
    ratings = load_upload([("ml-100k.zip", zipped({"ml-100k/u.data": U_DATA}))])
    assert ratings.item_titles is None and ratings.title(0) == "Item 10"


def test_an_unreadable_titles_member_becomes_a_note_and_the_ratings_still_load():
    archive = zipped({"ml-latest-small/ratings.csv": RATINGS_CSV, "ml-latest-small/movies.csv": b"foo,bar\n1,2\n"})
    ratings = load_upload([("ml-latest-small.zip", archive)])
    assert ratings.item_titles is None
    assert ratings.notes[-1].startswith("titles not loaded: ml-latest-small.zip: ml-latest-small/movies.csv, line 1:")


def test_a_zip_without_a_ratings_file_says_what_it_looked_for_and_what_it_found():
    error = error_of([("ml-20m-youtube.zip", zipped({"ml-youtube/ml-youtube.csv": b"a,b\n", "README.md": b"x"}))])
    assert str(error) == (
        "ml-20m-youtube.zip: no MovieLens ratings file in this zip. Looked for u.data (ml-100k), "
        "ratings.dat (ml-1m) or ratings.csv (ml-latest-small), at the top or in a folder; found "
        "ml-youtube/ml-youtube.csv, README.md. Unzip it and select the ratings file and its titles file together."
    )


def test_a_zip_with_two_ratings_files_names_both():
    error = error_of([("both.zip", zipped({"ml-100k/u.data": U_DATA, "ml-1m/ratings.dat": RATINGS_DAT}))])
    assert "2 ratings files (ml-100k/u.data, ml-1m/ratings.dat)" in error.problem


def test_an_excel_workbook_is_told_to_be_saved_as_csv():
    error = error_of([("ratings.xlsx", zipped({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>"}))])
    assert error.source == "ratings.xlsx" and "Save it as CSV" in error.problem


def test_a_damaged_zip_says_so():
    error = error_of([("ml-100k.zip", b"PK\x03\x04" + b"\x00" * 64)])
    assert str(error).startswith("ml-100k.zip: this zip is damaged and cannot be opened")


# --- zip bombs and sizes ---------------------------------------------------------------------

ONE_MB = 1 << 20
# 1.5 MB that deflates to about 2 KB: over a 1 MB limit, tiny in the test.
BOMB = b"1\t1\t4\n" * 250_000


def test_a_member_over_the_limit_when_unzipped_gets_the_size_message_without_being_unpacked(monkeypatch):
    monkeypatch.setattr("recsys_core.data.text.MAX_FILE_BYTES", ONE_MB)
    archive = zipped({"ml-100k/u.data": BOMB, "ml-100k/u.item": U_ITEM})
    assert len(archive) < 10_000

    def refuse_to_unpack(*args, **kwargs):
        raise AssertionError("unpacked a member whose declared size is over the limit")

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse_to_unpack)
    error = error_of([("ml-100k.zip", archive)])
    assert str(error) == (
        "ml-100k.zip: ml-100k/u.data: unzipped, the file is 1.4 MB; the limit is 1 MB. Unzip it and "
        "select a sample of u.data (for example its first million lines) together with u.item."
    )


def with_declared_size(archive: bytes, member: bytes, size: int) -> bytes:
    """``archive`` with ``member``'s uncompressed size rewritten in its local and central headers."""
    patched = bytearray(archive)
    # (signature, offset of the name length, of the name, of the uncompressed size)
    for signature, name_length_at, name_at, size_at in ((b"PK\x03\x04", 26, 30, 22), (b"PK\x01\x02", 28, 46, 24)):
        start = patched.find(signature)
        while start >= 0:
            (length,) = struct.unpack_from("<H", patched, start + name_length_at)
            if patched[start + name_at : start + name_at + length] == member:
                struct.pack_into("<I", patched, start + size_at, size)
            start = patched.find(signature, start + 1)
    return bytes(patched)


def test_a_member_that_understates_its_size_is_refused_as_damaged(monkeypatch):
    monkeypatch.setattr("recsys_core.data.text.MAX_FILE_BYTES", ONE_MB)
    archive = with_declared_size(zipped({"ml-100k/u.data": BOMB}), b"ml-100k/u.data", 1000)
    assert zipfile.ZipFile(io.BytesIO(archive)).getinfo("ml-100k/u.data").file_size == 1000
    # zipfile stops at the declared 1,000 bytes, then finds the checksum does not match.
    error = error_of([("ml-100k.zip", archive)])
    assert error.source == "ml-100k.zip: ml-100k/u.data"
    assert error.problem.startswith("could not be unzipped (Bad CRC-32")


def test_reading_a_stream_stops_at_the_limit_however_much_it_would_give(monkeypatch):
    monkeypatch.setattr("recsys_core.data.text.MAX_FILE_BYTES", ONE_MB)

    class ManyZeros(io.RawIOBase):  # far more than the limit, yet finite so a broken guard fails cleanly
        given = 0

        def read(self, size=-1):
            size = min(size, 8 * ONE_MB - self.given)
            self.given += size
            return b"\x00" * size

    stream = ManyZeros()
    with pytest.raises(RatingsFormatError, match="unzipped, the file is over 1 MB; the limit is 1 MB"):
        _read_limited(stream, "a.zip: u.data", advice="Use a sample.", chunk_bytes=64 * 1024)
    assert stream.given <= ONE_MB + 64 * 1024


def test_every_selected_file_is_checked_against_the_size_limit(monkeypatch):
    monkeypatch.setattr("recsys_core.data.text.MAX_FILE_BYTES", ONE_MB)
    error = error_of([("u.data", U_DATA), ("u.item", b"x" * (3 * ONE_MB // 2))])
    assert str(error) == (
        "u.item: the file is 1.5 MB; the limit is 1 MB. Load a sample of it instead, for example its first million lines."
    )


def test_size_refusals_are_file_too_large_errors_and_other_refusals_are_not(monkeypatch):
    """The upload page drops a file too large to use from the uploader; it tells them apart by type."""
    monkeypatch.setattr("recsys_core.data.text.MAX_FILE_BYTES", ONE_MB)
    for files in ([("u.data", BOMB)], [("ml-100k.zip", zipped({"ml-100k/u.data": BOMB}))],
                  [("u.data", U_DATA), ("u.item", b"x" * (3 * ONE_MB // 2))]):
        assert isinstance(error_of(files), FileTooLargeError), files
    assert not isinstance(error_of([("u.data", b"1\t1\tfive\n2\t2\t4\n")]), FileTooLargeError)
    with pytest.raises(FileTooLargeError):
        _read_limited(io.BytesIO(b"x" * (2 * ONE_MB)), "a.zip: u.data", advice="Use a sample.")


# --- a ratings file and its titles file, selected together -------------------------------------


@pytest.mark.parametrize("order", ["ratings first", "titles first"])
@pytest.mark.parametrize(
    ("ratings_file", "titles_file", "first_title"),
    [
        (("u.data", U_DATA), ("u.item", U_ITEM), "Toy Story (1995)"),
        (("ratings.csv", RATINGS_CSV), ("movies.csv", MOVIES_CSV), "Toy Story (1995)"),
        (("ratings.dat", RATINGS_DAT), ("movies.dat", MOVIES_DAT), "James and the Giant Peach (1996)"),
    ],
    ids=["ml-100k", "ml-latest-small", "ml-1m"],
)
def test_a_ratings_file_and_its_titles_file_load_together_in_either_order(ratings_file, titles_file, first_title, order):
    files = [ratings_file, titles_file] if order == "ratings first" else [titles_file, ratings_file]
    ratings = load_upload(files)
    assert ratings.source == ratings_file[0]
    assert ratings.title(0) == first_title


def test_a_ratings_file_alone_loads_without_titles():
    ratings = load_upload([("u.data", U_DATA)])
    assert len(ratings) == 4 and ratings.item_titles is None


def test_names_holding_ratings_and_movies_are_paired_too():
    ratings = load_upload([("my_movies.csv", MOVIES_CSV), ("my_ratings.csv", RATINGS_CSV)])
    assert ratings.title(1) == "Usual Suspects, The (1995)"


def test_a_titles_file_alone_is_told_to_come_with_its_ratings():
    error = error_of([("u.item", U_ITEM)])
    assert error.problem == "this is a titles file, not ratings. Select it together with its ratings file (u.data)."


def test_two_files_that_cannot_be_told_apart_are_refused_naming_both():
    error = error_of([("a.csv", RATINGS_CSV), ("b.csv", MOVIES_CSV)])
    assert error.source == "a.csv, b.csv" and "cannot tell which file holds the ratings" in error.problem


def test_a_zip_selected_with_other_files_is_refused():
    error = error_of([("ml-100k.zip", zipped({"ml-100k/u.data": U_DATA})), ("u.item", U_ITEM)])
    assert error.source == "ml-100k.zip" and "select the zip on its own" in error.problem


def test_a_selected_titles_file_that_cannot_be_read_fails_the_upload_naming_it():
    error = error_of([("ratings.csv", RATINGS_CSV), ("movies.csv", b"foo,bar\n1,2\n")])
    assert str(error).startswith("movies.csv, line 1: the titles file needs an item id column and a title column")


def test_an_error_in_a_selected_ratings_file_names_that_file():
    error = error_of([("u.item", U_ITEM), ("u.data", b"1\t10\t4\n2\t20\n")])
    assert str(error).startswith("u.data, line 2: found 2 fields separated by tabs but expected 3.")


def test_nothing_selected_is_a_clear_message():
    assert "no file was selected" in error_of([]).problem


# --- the realistic files the browser tests upload ------------------------------------------------


def test_the_fixture_files_load_with_real_looking_titles_in_every_shape(tmp_path):
    files = movielens.write_movielens_files(tmp_path)
    loaded = [
        load_upload([(files.ml_100k_zip.name, files.ml_100k_zip.read_bytes())]),
        load_upload([(files.ml_latest_small_zip.name, files.ml_latest_small_zip.read_bytes())]),
        load_upload([(files.ml_1m_zip.name, files.ml_1m_zip.read_bytes())]),
        load_upload([(p.name, p.read_bytes()) for p in (files.u_item, files.u_data)]),
        load_upload([(p.name, p.read_bytes()) for p in (files.ratings_csv, files.movies_csv)]),
    ]
    for ratings in loaded:
        assert (ratings.n_users, ratings.n_items, len(ratings)) == (30, 40, 500)
        assert titles(ratings) == [title for title, _ in movielens.MOVIES]
    assert loaded[0].genres_of(0) == ("Animation", "Children's", "Comedy")
    assert loaded[1].rating_scale == (0.5, 5.0)


def test_the_fixture_writes_the_same_bytes_every_time(tmp_path):
    first = movielens.write_movielens_files(tmp_path / "a")
    second = movielens.write_movielens_files(tmp_path / "b")
    assert first.ml_100k_zip.read_bytes() == second.ml_100k_zip.read_bytes()
    assert first.u_item.read_bytes() == second.u_item.read_bytes()
