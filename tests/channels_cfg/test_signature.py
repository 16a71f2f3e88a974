from channels_cfg.signature import render_signature, sanitize_signature, signature_text


def test_tokens_are_replaced_with_escaped_names():
    rendered = render_signature(
        "<p>Best, {{first_name}}<br>{{ full_name }} at Acme</p>",
        full_name="Ana <b>Lopez</b>",
        first_name="Ana",
    )
    assert rendered == "<p>Best, Ana<br>Ana &lt;b&gt;Lopez&lt;/b&gt; at Acme</p>"


def test_unknown_tokens_and_template_syntax_stay_literal():
    rendered = render_signature(
        "{{ settings.SECRET_KEY }} {% now 'Y' %}", full_name="A", first_name="A"
    )
    assert rendered == "{{ settings.SECRET_KEY }} {% now 'Y' %}"


def test_sanitize_keeps_formatting_and_drops_scripts():
    cleaned = sanitize_signature(
        '<b>Bold</b><script>alert(1)</script><a href="javascript:x">x</a>'
        '<img src="https://example.com/l.png" onerror="x()">'
    )
    assert "<b>Bold</b>" in cleaned
    assert "script" not in cleaned and "javascript" not in cleaned and "onerror" not in cleaned
    assert '<img src="https://example.com/l.png">' in cleaned


def test_signature_text_keeps_line_breaks():
    assert signature_text("<p>Best,<br>Ana &amp; team</p>") == "Best,\nAna & team"
