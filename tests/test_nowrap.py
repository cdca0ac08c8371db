"""The `nowrap` filter keeps a phone number on one line and still escapes what it wraps."""

from django.template import Context, Template


def render(source, **context):
    return Template("{% load i18n nowrap %}" + source).render(Context(context))


def test_one_value_and_a_list_joined_inside_blocktranslate():
    html = render(
        "{% blocktranslate with p=phones|nowrap|join:'、' %}电话：{{ p }}{% endblocktranslate %}",
        phones=["0311-87657669", "0311-87657668"],
    )
    assert html == (
        '电话：<span class="nowrap">0311-87657669</span>、<span class="nowrap">0311-87657668</span>'
    )
    assert render("{{ p|nowrap }}", p="0311-1") == '<span class="nowrap">0311-1</span>'


def test_what_it_wraps_is_escaped():
    assert render("{{ p|nowrap }}", p="<b>1</b>") == (
        '<span class="nowrap">&lt;b&gt;1&lt;/b&gt;</span>'
    )
    assert "<i>" not in render("{{ p|nowrap|join:'、' }}", p=["<i>", "2"])
