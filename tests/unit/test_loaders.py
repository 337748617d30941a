"""load_ratings reads every supported format and explains every bad file by file, line and problem."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from recsys_core.data import MAX_FILE_BYTES, MAX_RATINGS, RatingsFormatError, load_ratings

ASSETS = Path(__file__).resolve().parents[2] / "assets"

# Three users, three items; user 10 rated item 200 with 3.5 at time 300.
U_DATA = "10\t100\t4\t100\n10\t200\t3.5\t300\n20\t100\t5\t200\n30\t300\t1\t400\n"
HALF_STARS = "ratings run from 0.5 to 5 in half stars."  # U_DATA's 3.5 puts it on that scale


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def rating_of(ratings, user_id, item_id) -> float:
    users = ratings.user_ids[ratings.users]
    items = ratings.item_ids[ratings.items]
    (index,) = np.flatnonzero((users == user_id) & (items == item_id))
    return float(ratings.ratings[index])


def error_from(tmp_path: Path, name: str, text: str, **kwargs) -> RatingsFormatError:
    path = write(tmp_path, name, text)
    with pytest.raises(RatingsFormatError) as caught:
        load_ratings(path, **kwargs)
    return caught.value


# --- formats ---------------------------------------------------------------------------------


def test_movielens_u_data_is_read_with_compact_indices_sorted_by_id(tmp_path):
    ratings = load_ratings(write(tmp_path, "u.data", U_DATA))
    assert (ratings.n_users, ratings.n_items, len(ratings)) == (3, 3, 4)
    np.testing.assert_array_equal(ratings.user_ids, [10, 20, 30])
    np.testing.assert_array_equal(ratings.item_ids, [100, 200, 300])
    np.testing.assert_array_equal(ratings.users, [0, 0, 1, 2])
    np.testing.assert_array_equal(ratings.items, [0, 1, 0, 2])
    assert ratings.ratings.dtype == np.float32
    assert rating_of(ratings, 10, 200) == 3.5
    np.testing.assert_array_equal(ratings.timestamps, [100, 300, 200, 400])
    assert ratings.rating_scale == (0.5, 5.0)
    assert ratings.source == "u.data"
    assert ratings.notes == (HALF_STARS,)


def test_movielens_ratings_dat_with_double_colons_is_read(tmp_path):
    text = U_DATA.replace("\t", "::")
    ratings = load_ratings(write(tmp_path, "ratings.dat", text))
    assert (ratings.n_users, ratings.n_items, len(ratings)) == (3, 3, 4)
    assert rating_of(ratings, 20, 100) == 5.0


def test_movielens_ratings_csv_with_header_is_read(tmp_path):
    text = "userId,movieId,rating,timestamp\n" + U_DATA.replace("\t", ",")
    ratings = load_ratings(write(tmp_path, "ratings.csv", text))
    assert len(ratings) == 4
    assert rating_of(ratings, 10, 200) == 3.5
    np.testing.assert_array_equal(ratings.timestamps, [100, 300, 200, 400])


@pytest.mark.parametrize(
    "header",
    [
        "user,item,rating",
        "user_id,item_id,score",
        "UID,IID,Stars",
        "rating,product,userId",  # columns in any order
        "movie,value,user",
    ],
)
def test_header_names_are_matched_case_insensitively_from_common_aliases(tmp_path, header):
    names = [n.strip().lower() for n in header.split(",")]
    rows = [("u1", "i1", "4"), ("u1", "i2", "2"), ("u2", "i1", "5")]
    kind = {n: ("rating" if n in ("rating", "score", "stars", "value") else "user" if n.startswith("u") else "item")
            for n in names}
    lines = [header]
    for user, item, rating in rows:
        by_kind = {"user": user, "item": item, "rating": rating}
        lines.append(",".join(by_kind[kind[n]] for n in names))
    ratings = load_ratings(write(tmp_path, "mine.csv", "\n".join(lines) + "\n"))
    assert list(ratings.user_ids) == ["u1", "u2"]
    assert rating_of(ratings, "u1", "i2") == 2.0
    assert ratings.timestamps is None


def test_headerless_csv_uses_the_first_three_columns(tmp_path):
    ratings = load_ratings(write(tmp_path, "plain.csv", "1,5,4\n1,6,3\n2,5,2\n"))
    assert (ratings.n_users, ratings.n_items, len(ratings)) == (2, 2, 3)
    assert rating_of(ratings, 2, 5) == 2.0
    assert ratings.timestamps is None


def test_tab_and_semicolon_separated_files_are_detected(tmp_path):
    tsv = load_ratings(write(tmp_path, "r.tsv", "user\titem\trating\na\tx\t4\nb\ty\t2\n"))
    semi = load_ratings(write(tmp_path, "r.txt", "user;item;rating\na;x;4\nb;y;2\n"))
    for ratings in (tsv, semi):
        assert rating_of(ratings, "b", "y") == 2.0


def test_string_ids_and_whitespace_around_fields_are_accepted(tmp_path):
    ratings = load_ratings(write(tmp_path, "r.csv", "user, item, rating\nalice , The Matrix, 4.5\nbob,Up,3\n"))
    assert rating_of(ratings, "alice", "The Matrix") == 4.5


def test_blank_lines_are_skipped_and_later_errors_still_name_the_editor_line(tmp_path):
    error = error_from(tmp_path, "u.data", "\n1\t2\t4\n\n   \n2\t1\tabc\n")
    assert error.line == 5


def test_latin1_and_windows_line_endings_are_read(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes("user,item,rating\r\nJosé,Amélie,5\r\nAnn,Heat,3\r\n".encode("latin-1"))
    ratings = load_ratings(path)
    assert rating_of(ratings, "José", "Amélie") == 5.0


def test_u_item_beside_u_data_gives_titles_and_genres(tmp_path):
    write(tmp_path, "u.data", U_DATA)
    flags = ["0"] * 19
    action_comedy = flags.copy()
    action_comedy[1] = action_comedy[5] = "1"  # columns 6 and 10: Action, Comedy
    u_item = "\n".join(
        [
            "100|Toy Story (1995)|01-Jan-1995||http://x|" + "|".join(action_comedy),
            "200|Café Society (1995)|01-Jan-1995||http://x|" + "|".join(flags),
        ]
    )
    write(tmp_path, "u.item", u_item + "\n", encoding="latin-1")
    ratings = load_ratings(tmp_path / "u.data")
    assert ratings.title(0) == "Toy Story (1995)"
    assert ratings.genres_of(0) == ("Action", "Comedy")
    assert ratings.title(1) == "Café Society (1995)"
    assert ratings.title(2) == "Item 300"  # not in u.item
    assert "1 item has no title in u.item; shown as 'Item <id>'." in ratings.notes


def test_movies_dat_beside_ratings_dat_gives_titles_and_genres(tmp_path):
    write(tmp_path, "ratings.dat", U_DATA.replace("\t", "::"))
    write(tmp_path, "movies.dat", "100::Heat (1995)::Action|Crime|Thriller\n200::Up (2009)::Animation\n"
          "300::Alien (1979)::Horror|Sci-Fi\n")
    ratings = load_ratings(tmp_path / "ratings.dat")
    assert ratings.title(0) == "Heat (1995)"
    assert ratings.genres_of(0) == ("Action", "Crime", "Thriller")
    assert ratings.notes == (HALF_STARS,)


def test_movies_csv_beside_ratings_csv_handles_quoted_titles(tmp_path):
    write(tmp_path, "ratings.csv", "userId,movieId,rating,timestamp\n" + U_DATA.replace("\t", ","))
    write(tmp_path, "movies.csv", 'movieId,title,genres\n100,"Good, the Bad (1966)",Western\n'
          "200,Up (2009),(no genres listed)\n300,Alien (1979),Horror|Sci-Fi\n")
    ratings = load_ratings(tmp_path / "ratings.csv")
    assert ratings.title(0) == "Good, the Bad (1966)"
    assert ratings.genres_of(1) == ()
    assert ratings.genres_of(2) == ("Horror", "Sci-Fi")


def test_items_source_can_be_passed_explicitly(tmp_path):
    ratings_path = write(tmp_path, "a.tsv", U_DATA)
    items_path = write(tmp_path, "titles.csv", "item,title\n100,One\n200,Two\n300,Three\n")
    ratings = load_ratings(ratings_path, items_source=items_path)
    assert [ratings.title(i) for i in range(3)] == ["One", "Two", "Three"]


def test_a_movielens_folder_loads_the_ratings_file_inside(tmp_path):
    write(tmp_path, "u.data", U_DATA)
    assert len(load_ratings(tmp_path)) == 4


def test_bytesio_with_a_name_like_streamlits_upload_is_read(tmp_path):
    upload = io.BytesIO(U_DATA.encode())
    upload.name = "u.data"
    upload.read()  # a rerun may have read it already; getvalue still sees everything
    ratings = load_ratings(upload)
    assert ratings.source == "u.data"
    assert len(ratings) == 4


def test_text_file_objects_and_an_explicit_name_are_accepted():
    ratings = load_ratings(io.StringIO("1,2,3\n2,1,4\n"), name="typed.csv")
    assert ratings.source == "typed.csv"
    assert len(ratings) == 2


def test_the_bundled_sample_file_loads_with_its_titles():
    ratings = load_ratings(ASSETS / "sample_ratings.csv")
    assert (ratings.n_users, ratings.n_items, len(ratings)) == (100, 80, 2000)
    assert ratings.item_titles is not None and not ratings.title(0).startswith("Item ")
    assert ratings.notes == ()


# --- duplicates ------------------------------------------------------------------------------

DUPLICATED = "1\t1\t1\n1\t2\t4\n1\t1\t3\n2\t1\t5\n1\t1\t5\n"  # (1, 1) rated 1, then 3, then 5


def test_duplicates_last_keeps_the_last_rating_and_says_so(tmp_path):
    ratings = load_ratings(write(tmp_path, "u.data", DUPLICATED))
    assert len(ratings) == 3
    assert rating_of(ratings, 1, 1) == 5.0
    assert ratings.notes == ("1 duplicate (user, item) pair: kept the last rating of each.",)


def test_duplicates_mean_averages_them(tmp_path):
    ratings = load_ratings(write(tmp_path, "u.data", DUPLICATED), duplicates="mean")
    assert rating_of(ratings, 1, 1) == pytest.approx((1 + 3 + 5) / 3)
    assert "averaged" in ratings.notes[0]


def test_duplicates_error_names_the_first_repeated_line(tmp_path):
    error = error_from(tmp_path, "u.data", DUPLICATED, duplicates="error")
    assert error.line == 3
    assert "first on line 1" in error.problem


# --- validation --------------------------------------------------------------------------------


def test_an_empty_file_is_refused(tmp_path):
    error = error_from(tmp_path, "u.data", "\n  \n")
    assert error.line is None
    assert "empty" in str(error)
    assert str(error).startswith("u.data: ")


def test_a_header_without_data_is_refused(tmp_path):
    error = error_from(tmp_path, "r.csv", "user,item,rating\n")
    assert error.line == 1 and "no ratings" in error.problem


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path):
    class HugeUpload(io.BytesIO):
        size = MAX_FILE_BYTES + 1

        def getvalue(self):
            raise AssertionError("read a file that is too big")

    upload = HugeUpload(b"1,2,3\n")
    upload.name = "huge.csv"
    with pytest.raises(RatingsFormatError, match="limit is 50 MB") as caught:
        load_ratings(upload)
    assert caught.value.source == "huge.csv"


def test_a_line_with_the_wrong_number_of_fields_is_named(tmp_path):
    error = error_from(tmp_path, "u.data", "1\t2\t4\t10\n1\t3\t4\t11\n2\t2\n3\t3\t5\t12\n")
    assert error.line == 3
    assert "found 2 fields separated by tabs but expected 4" in error.problem
    assert str(error).startswith("u.data, line 3: ")


def test_a_non_numeric_rating_is_named_with_its_line(tmp_path):
    error = error_from(tmp_path, "u.data", "\t".join("1 2 4 10".split()) + "\n" + "\n" * 15 + "2\t3\tabc\t11\n")
    assert str(error) == (
        "u.data, line 17: rating 'abc' is not a number. "
        "Each line needs user, item, rating (and optionally timestamp)."
    )
    assert error.source == "u.data" and error.line == 17


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf"])
def test_a_non_finite_rating_is_refused(tmp_path, bad):
    error = error_from(tmp_path, "r.csv", f"1,1,4\n1,2,{bad}\n2,1,3\n")
    assert error.line == 2 and "not a finite number" in error.problem


@pytest.mark.parametrize("bad", ["-1", "11", "10.5"])
def test_a_rating_outside_zero_to_ten_is_refused(tmp_path, bad):
    error = error_from(tmp_path, "r.csv", f"1,1,4\n2,1,3\n1,2,{bad}\n")
    assert error.line == 3 and "outside 0-10" in error.problem


def test_half_stars_and_a_ten_point_scale_are_accepted(tmp_path):
    ratings = load_ratings(write(tmp_path, "r.csv", "1,1,0.5\n1,2,10\n2,1,7.5\n"))
    assert ratings.rating_scale == (0.5, 10.0)


def test_the_earliest_problem_is_reported_whatever_its_kind(tmp_path):
    error = error_from(tmp_path, "r.csv", "1,1,4\n1,2,99\n2,1,abc\n")
    assert error.line == 2


def test_an_empty_user_id_is_refused(tmp_path):
    error = error_from(tmp_path, "r.csv", "user,item,rating\na,x,4\n,y,3\nb,x,2\n")
    assert error.line == 3 and "user id is empty" in error.problem


def test_a_header_without_a_rating_column_lists_the_columns_it_found(tmp_path):
    error = error_from(tmp_path, "r.csv", "userId,movieId,timestamp\n1,2,3\n")
    assert error.line == 1
    assert "no rating column" in error.problem
    assert "found columns: userId, movieId, timestamp" in error.problem


def test_fewer_than_two_users_or_items_is_refused(tmp_path):
    one_user = error_from(tmp_path, "a.csv", "1,1,4\n1,2,3\n")
    one_item = error_from(tmp_path, "b.csv", "1,1,4\n2,1,3\n")
    assert "1 user and 2 items" in one_user.problem and one_user.line is None
    assert "2 users and 1 item;" in one_item.problem


def test_binary_content_is_not_a_text_file(tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(RatingsFormatError, match="not a text file"):
        load_ratings(path)


def test_a_damaged_zip_is_called_damaged(tmp_path):
    path = tmp_path / "ml-100k.zip"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(RatingsFormatError, match="^ml-100k.zip: this zip is damaged"):
        load_ratings(path)


def test_a_gzip_file_is_told_to_be_unpacked(tmp_path):
    path = tmp_path / "ratings.csv.gz"
    path.write_bytes(b"\x1f\x8b\x08" + b"\x00" * 100)
    with pytest.raises(RatingsFormatError, match="Unzip it"):
        load_ratings(path)


def test_an_unclosed_quote_is_named(tmp_path):
    error = error_from(tmp_path, "r.csv", 'user,item,rating\na,x,4\nb,"y,3\nc,z,2\n')
    assert error.line == 3 and "never closed" in error.problem


def test_a_missing_file_is_a_format_error_not_a_crash(tmp_path):
    with pytest.raises(RatingsFormatError, match="no such file"):
        load_ratings(tmp_path / "nope.csv")


def test_the_ratings_limit_is_stated(tmp_path, monkeypatch):
    monkeypatch.setattr("recsys_core.data.parse.MAX_RATINGS", 3)
    error = error_from(tmp_path, "r.csv", "1,1,4\n1,2,3\n2,1,3\n2,2,1\n")
    assert error.line == 4 and "limit is 3" in error.problem
    assert MAX_RATINGS == 2_000_000


def test_a_bad_titles_file_beside_the_ratings_does_not_stop_them_loading(tmp_path):
    write(tmp_path, "ratings.csv", "userId,movieId,rating\n1,1,4\n2,2,3\n")
    write(tmp_path, "movies.csv", "foo,bar\n1,2\n")
    ratings = load_ratings(tmp_path / "ratings.csv")
    assert ratings.item_titles is None
    assert "titles not loaded" in ratings.notes[0]


def test_the_error_survives_pickling_with_its_parts():
    import pickle

    error = pickle.loads(pickle.dumps(RatingsFormatError("u.data", "bad.", line=3)))
    assert (error.source, error.line, error.problem, str(error)) == ("u.data", 3, "bad.", "u.data, line 3: bad.")


def test_space_separated_files_are_detected(tmp_path):
    ratings = load_ratings(write(tmp_path, "r.txt", "1 2 4\n2  3 5\n 3 1 2\n"))
    assert rating_of(ratings, 2, 3) == 5.0


def test_semicolon_files_with_decimal_commas_are_read(tmp_path):
    ratings = load_ratings(write(tmp_path, "r.csv", "user;item;rating\n1;2;4,5\n2;3;3\n"))
    assert rating_of(ratings, 1, 2) == 4.5


def test_date_strings_in_a_time_column_become_unix_seconds(tmp_path):
    ratings = load_ratings(write(tmp_path, "r.csv", "user,item,rating,date\n1,2,4,2020-01-01\n2,3,5,1970-01-02\n"))
    np.testing.assert_array_equal(ratings.timestamps, [1_577_836_800, 86_400])


def test_unreadable_times_are_dropped_with_a_note_naming_the_line(tmp_path):
    ratings = load_ratings(write(tmp_path, "r.csv", "user,item,rating,time\n1,2,4,5\n2,3,5,yesterday\n"))
    assert ratings.timestamps is None
    assert ratings.notes == ("timestamps ignored: line 3 has 'yesterday', which is not a time.",)


def test_a_trailing_separator_on_every_line_is_harmless(tmp_path):
    ratings = load_ratings(write(tmp_path, "r.csv", "1,2,4,\n2,1,3,\n"))
    assert ratings.timestamps is None and ratings.notes == ("trailing comma ignored on every line.",)


def test_a_file_with_only_two_columns_is_refused_at_line_one(tmp_path):
    error = error_from(tmp_path, "r.csv", "1,2\n3,4\n")
    assert error.line == 1 and "expected 3" in error.problem


def test_quoted_fields_are_unquoted(tmp_path):
    ratings = load_ratings(write(tmp_path, "r.csv", '"user","item","rating"\n"a","x, y","4"\n"b","z","3.5"\n'))
    assert rating_of(ratings, "a", "x, y") == 4.0


# --- files as people have them: each quirk loads, and a note says what was tolerated where ---

FOUR_FIELDS = ["1\t10\t4\t100", "1\t20\t3\t200", "2\t10\t5\t300", "2\t30\t2\t400"]


def load_bytes(content: bytes, name: str = "u.data", **kwargs):
    upload = io.BytesIO(content)
    upload.name = name
    return load_ratings(upload, **kwargs)


def test_a_utf8_byte_order_mark_is_ignored_and_noted():
    ratings = load_bytes("\ufeffuser,item,rating\n1,10,4\n2,20,3\n".encode(), name="r.csv")
    assert list(ratings.user_ids) == [1, 2]  # the header was recognised despite the mark
    assert rating_of(ratings, 2, 20) == 3.0
    assert ratings.notes == ("line 1: invisible byte-order mark (BOM) at the start ignored.",)


def test_windows_line_ends_on_every_line_are_read_and_noted():
    ratings = load_bytes(("\r\n".join(FOUR_FIELDS) + "\r\n").encode())
    assert len(ratings) == 4
    np.testing.assert_array_equal(ratings.timestamps, [100, 200, 300, 400])
    assert ratings.notes == ("Windows line ends (CRLF) on every line read as ordinary ones.",)


def test_windows_line_ends_on_some_lines_are_counted_with_the_first_line():
    text = FOUR_FIELDS[0] + "\n" + FOUR_FIELDS[1] + "\r\n" + FOUR_FIELDS[2] + "\r\n" + FOUR_FIELDS[3] + "\n"
    ratings = load_bytes(text.encode())
    assert rating_of(ratings, 2, 10) == 5.0
    assert ratings.notes == ("Windows line ends (CRLF) on 2 lines (first: line 2) read as ordinary ones.",)


def test_blank_lines_are_skipped_and_noted_with_how_many_and_the_first():
    text = FOUR_FIELDS[0] + "\n\n" + FOUR_FIELDS[1] + "\n \t \n" + "\n".join(FOUR_FIELDS[2:]) + "\n"
    ratings = load_bytes(text.encode())
    assert len(ratings) == 4
    assert ratings.notes == ("2 blank lines skipped (first: line 2).",)


def test_one_blank_line_is_named_by_its_line():
    ratings = load_bytes(("\n".join(FOUR_FIELDS[:2]) + "\n\n" + "\n".join(FOUR_FIELDS[2:]) + "\n").encode())
    assert len(ratings) == 4 and ratings.notes == ("line 3: blank line skipped.",)


def test_comment_lines_are_skipped_and_noted():
    text = "# exported from my notebook\nuser,item,rating\n1,10,4\n  # a note in the middle\n2,20,3\n"
    ratings = load_bytes(text.encode(), name="r.csv")
    assert (len(ratings), rating_of(ratings, 2, 20)) == (2, 3.0)
    assert ratings.notes == ("2 comment lines (starting with #) skipped (first: line 1).",)


def test_a_hash_inside_a_line_is_data_not_a_comment():
    ratings = load_bytes(b"user,item,rating\nann,#1 hit,4\nbob,b-side,3\n", name="r.csv")
    assert rating_of(ratings, "ann", "#1 hit") == 4.0 and ratings.notes == ()


def test_a_u_data_line_with_a_stray_trailing_tab_loads_with_a_note_naming_it():
    lines = FOUR_FIELDS.copy()
    lines[2] += "\t"  # what Surprise reads and pandas refuses ("found 5 fields ... expected 4")
    ratings = load_bytes(("\n".join(lines) + "\n").encode())
    assert len(ratings) == 4
    np.testing.assert_array_equal(ratings.timestamps, [100, 200, 300, 400])
    assert ratings.notes == ("line 3: trailing tab ignored.",)


def test_a_trailing_tab_on_every_line_is_one_note_and_not_a_column():
    ratings = load_bytes(("\t\n".join(FOUR_FIELDS) + "\t\n").encode())
    np.testing.assert_array_equal(ratings.timestamps, [100, 200, 300, 400])
    assert ratings.notes == ("trailing tab ignored on every line.",)


def test_trailing_separators_on_some_lines_are_counted_with_the_first_line():
    text = "userId,movieId,rating\n1,10,4\n1,20,3,\n2,10,5, \n2,30,2\n"
    ratings = load_bytes(text.encode(), name="ratings.csv")
    assert rating_of(ratings, 2, 10) == 5.0
    assert ratings.notes[0] == "trailing comma ignored on 2 lines (first: line 3)."


def test_a_trailing_double_colon_in_ratings_dat_is_ignored():
    ratings = load_bytes(("::\n".join(f.replace("\t", "::") for f in FOUR_FIELDS) + "::\n").encode(), "ratings.dat")
    assert rating_of(ratings, 2, 30) == 2.0
    assert ratings.notes == ("trailing '::' ignored on every line.",)


def test_two_trailing_separators_are_still_a_wrong_number_of_fields():
    lines = FOUR_FIELDS.copy()
    lines[1] += "\t\t"
    with pytest.raises(RatingsFormatError) as caught:
        load_bytes(("\n".join(lines) + "\n").encode())
    assert str(caught.value).startswith("u.data, line 2: found 6 fields separated by tabs but expected 4.")


def test_spaces_around_fields_are_ignored_and_noted():
    ratings = load_bytes(b"user,item,rating\n 1 , 10 , 4 \n2,20,3\n", name="r.csv")
    assert list(ratings.user_ids) == [1, 2]  # numbers, not " 1 "
    assert rating_of(ratings, 1, 10) == 4.0
    assert ratings.notes == ("line 2: spaces around fields ignored.",)


def test_a_space_inside_a_quoted_field_is_not_padding():
    ratings = load_bytes(b'user,item,rating\n"a","x, y",4\n"b","z",3\n', name="r.csv")
    assert rating_of(ratings, "a", "x, y") == 4.0 and ratings.notes == ()


def test_separators_inside_quotes_with_escaped_quotes_do_not_count_as_fields():
    ratings = load_bytes(b'user,item,rating\n"a","x ""big"", y",4\n"b","z",3\n', name="r.csv")
    assert rating_of(ratings, "a", 'x "big", y') == 4.0 and ratings.notes == ()


def test_a_space_outside_quotes_is_padding():
    ratings = load_bytes(b'user,item,rating\n"a", "x, y",4\n"b","z",3\n', name="r.csv")
    assert rating_of(ratings, "a", "x, y") == 4.0
    assert ratings.notes == ("line 2: spaces around fields ignored.",)


def test_a_latin1_ratings_file_is_read_and_the_note_names_the_first_non_utf8_line():
    ratings = load_bytes("user,item,rating\nann,Heat,3\nJosé,Amélie,5\n".encode("latin-1"), name="r.csv")
    assert rating_of(ratings, "José", "Amélie") == 5.0
    assert ratings.notes == ("line 3: not UTF-8, so the file was read as Latin-1.",)


@pytest.mark.parametrize(
    ("ratings_text", "scale", "note"),
    [
        ("1,1,2\n2,2,4\n", (1.0, 5.0), None),  # a few whole stars are still the usual 1-5
        ("1,1,0.5\n2,2,4\n", (0.5, 5.0), "ratings run from 0.5 to 5 in half stars."),
        ("1,1,0\n2,2,5\n", (0.0, 5.0), "ratings run from 0 to 5."),
        ("1,1,1\n2,2,8\n", (1.0, 10.0), "ratings run from 1 to 10."),
        ("1,1,0.25\n2,2,3\n", (0.25, 3.0), "ratings run from 0.25 to 3."),
    ],
    ids=["whole stars 1-5", "half stars", "0-5", "1-10", "anything else: lowest to highest"],
)
def test_the_rating_scale_is_read_from_the_data_and_noted_unless_it_is_1_to_5(ratings_text, scale, note):
    ratings = load_bytes(ratings_text.encode(), name="r.csv")
    assert ratings.rating_scale == scale
    assert ratings.notes == (() if note is None else (note,))


def test_averaged_duplicates_do_not_move_the_scale_off_whole_stars():
    ratings = load_bytes(b"1,1,3\n1,1,4\n2,2,5\n", name="r.csv", duplicates="mean")
    assert rating_of(ratings, 1, 1) == 3.5
    assert ratings.rating_scale == (1.0, 5.0)


# --- strict where it matters: file, line and problem -------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected_start"),
    [
        (b"1\t10\t4\n2\t20\tfour\n", "u.data, line 2: rating 'four' is not a number."),
        (b"1\t10\t4\n\n2\t20\t45\n", "u.data, line 3: rating 45 is outside 0-10;"),
        (b"1\t10\t4\n2\t20\n1\t20\t3\n", "u.data, line 2: found 2 fields separated by tabs but expected 3."),
        (b"userId,movieId,timestamp\n1,2,3\n", "u.data, line 1: no rating column in the header"),
        (b"1\t10\t4\n" + bytes(range(256)), "u.data, line 2: this is not a text file"),
    ],
    ids=["non-numeric rating", "out-of-scale rating", "missing column", "missing header column", "binary file"],
)
def test_a_strict_error_names_the_file_the_line_and_the_problem(content, expected_start):
    with pytest.raises(RatingsFormatError) as caught:
        load_bytes(content)
    assert str(caught.value).startswith(expected_start)
