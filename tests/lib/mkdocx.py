#!/usr/bin/python3
"""Writes a DOCX template the way Word stores one: placeholders split across
runs of formatting (Word cuts a run at every spell-check or edit boundary),
a header, and a table whose second row names deal fields (repeated per deal).
Usage: mkdocx.py OUT.docx [--broken-placeholder]"""
import sys, zipfile

W = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main'
bad = '--broken-placeholder' in sys.argv

def run(text, bold=False):
    rpr = '<w:rPr><w:b/></w:rPr>' if bold else ''
    return f'<w:r>{rpr}<w:t xml:space="preserve">{text}</w:t></w:r>'

def par(*runs):
    return '<w:p>' + ''.join(runs) + '</w:p>'

def cell(*runs):
    return '<w:tc><w:tcPr><w:tcW w:w="3000" w:type="dxa"/></w:tcPr>' + par(*runs) + '</w:tc>'

body = [
    par(run('Договор с '), run('{{or', True), run('g.na'), run('me}}', True), run('.')),
    par(run('Уважаемый(ая) {{contact.first_name|default:"'), run('клиент'), run('"}}!')),
    par(run('Оборот: {{org.turnover|money:"руб."}}; город: {{org.city|upper}}')),
    par(run('{{org.nosuchfield}}' if bad else 'Конец списка сделок ниже.')),
    '<w:tbl><w:tblPr><w:tblW w:w="9000" w:type="dxa"/></w:tblPr>'
    '<w:tr>' + cell(run('Дата')) + cell(run('Сумма')) + cell(run('Состояние')) + '</w:tr>'
    '<w:tr>' + cell(run('{{deal.date|date:"%d.%m.%Y"}}')) + cell(run('{{deal.'), run('amount|money}}'))
    + cell(run('{{deal.state}}')) + '</w:tr></w:tbl>',
    par(run('Подпись: ____')),
]
doc = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="{W}" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
       '<w:body>' + ''.join(body) + '<w:sectPr><w:headerReference w:type="default" r:id="rIdH"/>'
       '</w:sectPr></w:body></w:document>')
header = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:hdr xmlns:w="{W}">'
          + par(run('Для: {{org.'), run('legal_name|default:"—"}}')) + '</w:hdr>')
ct = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
      '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
      '<Default Extension="xml" ContentType="application/xml"/>'
      '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
      '<Override PartName="/word/header1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/>'
      '</Types>')
rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
        '</Relationships>')
docrels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
           '<Relationship Id="rIdH" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/>'
           '</Relationships>')
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('[Content_Types].xml', ct)
    z.writestr('_rels/.rels', rels)
    z.writestr('word/document.xml', doc)
    z.writestr('word/_rels/document.xml.rels', docrels)
    z.writestr('word/header1.xml', header)
