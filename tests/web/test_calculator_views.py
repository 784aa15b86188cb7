from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

PHQ9_16 = {f"item_{n}": v for n, v in enumerate([2, 2, 3, 2, 1, 2, 2, 1, 1], start=1)}


def test_calculator_requires_sign_in(client) -> None:
    response = client.get("/calculator/phq9/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_every_instrument_page_renders(signed_in) -> None:
    from ketacare.clinical.instruments import all_instruments

    for instrument in all_instruments():
        response = signed_in.get(f"/calculator/{instrument.id}/")
        assert response.status_code == 200, instrument.id
        assert instrument.short_name in response.content.decode()


def test_unknown_instrument_is_404(signed_in) -> None:
    assert signed_in.get("/calculator/hamd/").status_code == 404
    assert signed_in.get("/calculator/?instrument=hamd").status_code == 404


def test_picker_redirects_to_the_chosen_instrument(signed_in) -> None:
    response = signed_in.get("/calculator/?instrument=gad7")
    assert response.status_code == 302 and response["Location"] == "/calculator/gad7/"


def test_post_scores_without_storing(signed_in, django_db_blocker) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = signed_in.post("/calculator/phq9/", PHQ9_16)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="total">16<' in body
    assert "Moderately severe" in body
    assert 'data-flag="suicidal_ideation"' in body
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(("INSERT", "UPDATE"))]
    # Only the session touch (the idle timeout, at most once a minute) may write.
    assert all("django_session" in sql for sql in writes)


def test_missing_items_are_listed_not_scored(signed_in) -> None:
    data = dict(PHQ9_16)
    del data["item_3"], data["item_7"]
    body = signed_in.post("/calculator/phq9/", data).content.decode()
    assert "Not scored yet" in body
    assert 'href="#q3">3<' in body and 'href="#q7">7<' in body
    assert 'data-testid="total"' not in body


def test_out_of_range_value_is_a_field_error(signed_in) -> None:
    data = {f"item_{n}": 2 for n in range(1, 11)}
    data["item_4"] = 9
    body = signed_in.post("/calculator/madrs/", data).content.decode()
    assert "Ensure this value is less than or equal to 6" in body
    assert 'data-testid="total"' not in body


def test_asq_rule_is_shown_against_item_5(signed_in) -> None:
    body = signed_in.post(
        "/calculator/asq/", {"item_1": 0, "item_2": 0, "item_3": 0, "item_4": 0, "item_5": 1}
    ).content.decode()
    assert "asked only when any of items 1-4 is yes" in body
    body = signed_in.post(
        "/calculator/asq/", {"item_1": 1, "item_2": 0, "item_3": 0, "item_4": 0, "item_5": 0}
    ).content.decode()
    assert "Positive non acute" in body and 'data-flag="suicide_risk"' in body


def test_pcl5_shows_clusters_and_provisional_diagnosis(signed_in) -> None:
    data = {f"item_{n}": 2 for n in range(1, 21)}
    body = signed_in.post("/calculator/pcl5/", data).content.decode()
    assert 'data-testid="total">40<' in body
    assert 'data-testid="provisional">yes<' in body


def test_pcl5_items_at_2_or_more_column_shows(signed_in) -> None:
    """Issue #14 item 14: the scorer returns the endorsed counts the column reads."""
    values = [2, 0, 0, 0, 0, 3, 1, 2, 2, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 1]
    data = {f"item_{n}": v for n, v in enumerate(values, start=1)}
    body = signed_in.post("/calculator/pcl5/", data).content.decode()
    assert "Items ≥ 2" in body
    flat = " ".join(body.split())
    for cluster, score, endorsed in (("B", 2, 1), ("C", 4, 1), ("D", 4, 2), ("E", 5, 1)):
        assert f"<td>{cluster}</td><td>{score}</td><td>{endorsed}</td>" in flat, cluster


def test_asq_declined_is_an_option_and_a_positive_screen(signed_in) -> None:
    """Issue #14 item 1: "Declined to answer" for items 1-4; it makes item 5 required."""
    page = signed_in.get("/calculator/asq/").content.decode()
    assert page.count("Declined to answer") == 4
    body = signed_in.post("/calculator/asq/", {"item_1": 0, "item_2": 0, "item_3": 2,
                                               "item_4": 0}).content.decode()
    assert "required when any of items 1-4 is yes" in body
    body = signed_in.post("/calculator/asq/", {"item_1": 0, "item_2": 0, "item_3": 2,
                                               "item_4": 0, "item_5": 0}).content.decode()
    assert "Positive non acute" in body and 'data-flag="suicide_risk"' in body


def test_qids_shows_domains(signed_in) -> None:
    data = {f"item_{n}": 1 for n in range(1, 17)}
    body = signed_in.post("/calculator/qids-sr16/", data).content.decode()
    assert 'data-testid="total">9<' in body
    assert "Appetite weight" in body
