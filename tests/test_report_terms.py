"""What must not be published and the guard (workbench/report/terms.py): raw names, handles,
URLs and e-mail addresses found and replaced as whole words, also in escaped forms.
"""

from __future__ import annotations

import nbformat

import workbench as wb
from workbench.report.terms import Terms, collect_terms, find_leaks, guard_view, pseudonymise_notebook


def test_find_leaks_sees_escaped_forms_and_whole_words_only():
    assert find_leaks("<p>Samuel and P001</p>", ["Sam"]) == []
    hits = find_leaks("<p>sam&#x27;s GP</p><script>{\"a\": \"Zo\\u00eb\"}</script>", ["Sam", "Zoë"])
    assert [(h.term, h.kind) for h in hits] == [("Sam", "name"), ("Zoë", "name")]
    url = find_leaks('<a href="https://x.org/a?b=1&amp;c=2">l</a>', ["https://x.org/a?b=1&c=2"])
    assert [h.kind for h in url] == ["url"]
    # JSON as escape.json_for_script writes it into a <script> (widget state, Vega specs)
    from workbench.escape import json_for_script

    state = f"<script>{json_for_script({'a': 'Smith & Wesson <Pat>'})}</script>"
    assert "&" not in state and [h.term for h in find_leaks(state, ["Smith & Wesson", "<Pat>"])] == ["Smith & Wesson", "<Pat>"]
    # vendored code is not searched (it is byte-identical to the package's files)
    assert find_leaks('<script data-wb-vendor="x">var Sam = 1;</script><p>ok</p>', ["Sam"]) == []
    where = find_leaks('<div class="jp-Cell a"><div class="jp-Cell-inputWrapper">x</div></div><div class="jp-Cell b">kath</div>', ["kath"])
    assert where[0].where == "cell 2"



def test_terms_replace_names_handles_and_urls_like_the_privacy_module():
    units = wb.make_units(
        [
            {"unit_id": "1", "thread_id": "t", "author": "Lisa Rodrigues (@LisaSaysThis)", "text": "See https://example.org/a/long/path"},
            {"unit_id": "2", "thread_id": "t", "parent_id": "1", "author": "kath", "text": "@LisaSaysThis mail me: kath@example.org"},
        ]
    )
    key = wb.PseudonymKey()
    terms = collect_terms([units], key)
    lisa, kath = key.lookup("Lisa Rodrigues (@LisaSaysThis)"), key.lookup("kath")
    assert lisa and kath and lisa != kath
    text = terms.sub("Lisa Rodrigues wrote to @lisasaysthis; Kath’s reply (kath@example.org) cites https://example.org/a/long/path")
    assert text == f"{lisa} wrote to @{lisa}; {kath}’s reply ([EMAIL]) cites [URL]"
    # a URL shortened in a table repr is still recognised
    assert terms.sub("https://example.org/a/lo...") == "[URL]..."
    assert terms.sub("https://example.org/other") == "https://example.org/other"  # not from the data
    # a pseudonym is not a person: no pseudonym of a pseudonym
    again = collect_terms([units.assign(author=[lisa, kath])], key)
    assert lisa not in again.replacement




def test_the_notebook_is_rewritten_everywhere_but_in_binary_outputs():
    terms = Terms()
    terms.add("kath", "P001", "name")
    out = nbformat.from_dict({"output_type": "display_data", "metadata": {},
                              "data": {"text/plain": "kath", "image/png": "a2F0aA==kath", "application/json": {"kath": ["Kath"]}}})
    cell = nbformat.v4.new_code_cell("print('kath')")
    cell.outputs = [out]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Thanks, Kath!"), cell])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {"m": {"state": {"value": "kath"}}}}}
    nb.metadata["title"] = "kath's notes"
    pseudonymise_notebook(nb, terms)
    assert nb.cells[0].source == "Thanks, P001!" and nb.cells[1].source == "print('P001')"
    data = nb.cells[1].outputs[0]["data"]
    assert data["text/plain"] == "P001" and data["application/json"] == {"P001": ["P001"]}
    assert data["image/png"] == "a2F0aA==kath"  # binary data is not read
    assert nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]["m"]["state"]["value"] == "P001"
    assert nb.metadata["title"] == "P001's notes"


def test_the_guard_view_blanks_vendored_code_and_base64_keeping_offsets():
    html = '<p>a</p><script data-wb-vendor="x">var kath;</script><img src="data:image/png;base64,a2F0aA=="><p>kath</p>'
    view = guard_view(html)
    assert len(view) == len(html) and "var kath" not in view and "a2F0aA" not in view
    assert view.index("<p>kath</p>") == html.index("<p>kath</p>")
    assert [leak.where for leak in find_leaks(html, ["kath"])] == ["page"]


def test_pseudonyms_a_notebook_made_with_its_own_key_are_not_names_to_hide():
    import pandas as pd

    from workbench.privacy import PseudonymKey
    from workbench.report.terms import collect_terms

    shown = pd.DataFrame({"author": ["P013", "Professional-02", "Lisa Rodrigues"],
                          "text": ["thanks @P013", "we are not all like that", "it happened to me"]})
    terms = collect_terms([shown], PseudonymKey())  # publish's key: it never gave out P013
    assert "Lisa Rodrigues" in terms.replacement
    assert not {"P013", "@P013", "Professional-02"} & set(terms.replacement)
    assert [leak.term for leak in find_leaks("<td>P013</td><td>Lisa Rodrigues</td>", terms)] == ["Lisa Rodrigues"]
