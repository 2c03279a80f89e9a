"""Numbered choices: the list a WeChat user reads, the msgmenu payload, and every way of answering (or not)."""

from __future__ import annotations

import pytest

from channels.wechat.numbered import (
    NumberedChoice,
    not_understood,
    parse_choice,
    render_msgmenu,
    render_numbered,
)
from services.i18n import Translator

CATEGORIES = [
    NumberedChoice("暴露垃圾", "category:0102", aliases=("Exposed litter",)),
    NumberedChoice("非法小广告", "category:0201", aliases=("Illegal small ads / posters",)),
    NumberedChoice("机动车乱停放", "category:0505", aliases=("Illegal parking (motor vehicles)",)),
]


def test_the_list_numbers_each_item_and_says_how_to_answer_in_the_readers_language() -> None:
    zh = render_numbered(CATEGORIES, Translator("zh_CN"), head="请选择类别：")
    en = render_numbered(
        [NumberedChoice("Submit", "draft:submit"), NumberedChoice("Cancel", "draft:cancel")], Translator("en")
    )
    assert zh == "请选择类别：\n1. 暴露垃圾\n2. 非法小广告\n3. 机动车乱停放\n请回复 1 到 3 之间的数字，或选项文字。"
    assert en == "1. Submit\n2. Cancel\nReply with a number from 1 to 2, or the item's text."


@pytest.mark.parametrize(
    ("answer", "token"),
    [
        ("2", "category:0201"),
        (" 2 ", "category:0201"),
        ("２", "category:0201"),  # full-width digit from a Chinese keyboard
        ("#3", "category:0505"),
        ("2.", "category:0201"),
        ("2。", "category:0201"),
        ("第2项", "category:0201"),
        ("一", "category:0102"),
        ("三", "category:0505"),
        ("No. 1", "category:0102"),
        ("非法小广告", "category:0201"),
        ("Exposed litter", "category:0102"),
        ("exposed   LITTER", "category:0102"),
        ("Illegal parking (motor vehicles)", "category:0505"),
        ("3. 机动车乱停放", "category:0505"),  # a line of the list copied back
    ],
)
def test_a_number_or_the_items_text_in_either_language_picks_the_item(answer: str, token: str) -> None:
    assert parse_choice(answer, CATEGORIES) == token


@pytest.mark.parametrize(
    "answer",
    [
        "",
        "   ",
        "0",
        "4",
        "-1",
        "999999",
        "十一",
        "1 2",
        "垃圾",  # part of a label is not the label
        "2. 暴露垃圾",  # the number and the text disagree
        "yes",
        "🙂",
        "<xml>",
        "1" * 5000,
    ],
)
def test_garbage_answers_pick_nothing(answer: str) -> None:
    assert parse_choice(answer, CATEGORIES) is None


def test_an_answer_that_matches_two_items_picks_neither() -> None:
    twins = [NumberedChoice("Yes", "a:yes"), NumberedChoice("yes", "b:yes")]
    assert parse_choice("YES", twins) is None


def test_a_menu_click_picks_by_its_id_whatever_the_text() -> None:
    assert parse_choice("whatever", CATEGORIES, menu_id="category:0505") == "category:0505"
    assert parse_choice("", CATEGORIES, menu_id="2") == "category:0201"
    # An id from some other menu falls back to reading the text.
    assert parse_choice("1", CATEGORIES, menu_id="case:accept:9") == "category:0102"


def test_the_msgmenu_names_items_by_their_token_and_keeps_head_and_tail() -> None:
    menu = render_msgmenu(CATEGORIES, head="请选择类别", tail="也可回复数字")
    assert menu == {
        "head_content": "请选择类别",
        "list": [
            {"id": "category:0102", "content": "暴露垃圾"},
            {"id": "category:0201", "content": "非法小广告"},
            {"id": "category:0505", "content": "机动车乱停放"},
        ],
        "tail_content": "也可回复数字",
    }


def test_a_token_too_long_for_a_menu_id_is_named_by_its_number() -> None:
    menu = render_msgmenu([NumberedChoice("Accept", "case:accept:" + "9" * 60)])
    assert menu is not None and menu["list"] == [{"id": "1", "content": "Accept"}]
    assert (
        parse_choice("", [NumberedChoice("Accept", "case:accept:" + "9" * 60)], menu_id="1")
        == "case:accept:" + "9" * 60
    )


def test_no_msgmenu_beyond_wechats_limits() -> None:
    eleven = [NumberedChoice(f"item {n}", f"t:{n}") for n in range(11)]
    assert render_msgmenu(eleven) is None
    assert render_msgmenu([]) is None
    assert render_msgmenu([NumberedChoice("长" * 50, "t:long")]) is None  # 150 bytes of UTF-8


def test_an_answer_that_picks_nothing_is_told_how_to_answer_in_each_language() -> None:
    assert not_understood(3, Translator("zh_CN")) == "抱歉，这不是可选的选项。\n请回复 1 到 3 之间的数字，或选项文字。"
    assert not_understood(1, Translator("en")) == "Sorry, that is not one of the choices.\nReply 1 or the item's text."
