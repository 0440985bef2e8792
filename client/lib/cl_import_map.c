/* cl_import_map — header columns -> fields, and values as other programs
 * write them (see cl_import_int.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_import_int.h"
#include "kt_text.h"

/* Column names by field name, as Excel users, Outlook (Russian, English),
 * Google Contacts (old and new CSV) and Polish offices write them. A field
 * name applies to every type that has the field. Data, not code: a new alias
 * is a word here. Field names and labels (also custom fields' labels) match
 * without this table. */
static const cl_alias aliases[] = {
    {"name", "Название|Наименование|Организация|Компания|Клиент|Company|Company Name|Organization|"
             "Organisation|Organization 1 - Name|Organization Name|Nazwa|Nazwa firmy|Firma"},
    {"org", "Организация|Компания|Название организации|Company|Organization|Organisation|"
            "Organization 1 - Name|Organization Name|Firma|Nazwa firmy"},
    {"legal_name", "Полное наименование|Юридическое название|Юр. название|Legal Name|Nazwa pełna"},
    {"tax_id", "ИНН|INN|Tax ID|VAT ID|VAT|NIP"},
    {"industry", "Отрасль|Сфера деятельности|Industry|Branża"},
    {"employees", "Сотрудников|Число сотрудников|Численность|Employees|Pracowników|Liczba pracowników"},
    {"turnover", "Оборот|Годовой оборот|Turnover|Obrót|Obroty"},
    {"country", "Страна|Страна или регион (раб. адрес)|Business Country/Region|Country/Region|"
                "Address 1 - Country|Kraj"},
    {"region", "Регион|Область|Область (раб. адрес)|Business State|State|Address 1 - Region|"
               "Województwo"},
    {"city", "Город|Населенный пункт|Город (раб. адрес)|Business City|Address 1 - City|Miasto|"
             "Miejscowość"},
    {"street", "Улица|Адрес|Улица (раб. адрес)|Business Street|Address 1 - Street|Ulica|Adres"},
    {"address", "Адрес|Улица (раб. адрес)|Business Street|Address 1 - Formatted|Address 1 - Street|"
                "Adres"},
    {"phone", "Телефон|Рабочий телефон|Business Phone|Phone 1 - Value|Telefon"},
    {"phone2", "Телефон 2|Рабочий телефон 2|Business Phone 2|Phone 2 - Value|Telefon 2"},
    {"phone_work", "Рабочий телефон|Телефон рабочий|Business Phone|Work Phone|Phone 2 - Value|"
                   "Telefon służbowy"},
    {"phone_mobile", "Мобильный телефон|Мобильный|Сотовый|Телефон|Mobile Phone|Mobile|"
                     "Phone 1 - Value|Telefon komórkowy|Komórka|Telefon"},
    {"phone_home", "Домашний телефон|Home Phone|Phone 3 - Value|Telefon domowy"},
    {"email", "Адрес эл. почты|Эл. почта|Электронная почта|Почта|Email|E-mail Address|"
              "Email Address|E-mail 1 - Value|Adres e-mail|E-mail"},
    {"email2", "Адрес 2 эл. почты|Эл. почта 2|E-mail 2 Address|E-mail 2 - Value|Email 2"},
    {"site", "Сайт|Веб-сайт|Веб-страница|Website|Web Page|Website 1 - Value|Strona|Strona www"},
    {"messenger", "Мессенджер|Telegram|WhatsApp|Komunikator"},
    {"social", "Соцсети|Социальные сети|Social|Media społecznościowe"},
    {"position", "Должность|Job Title|Title|Position|Organization 1 - Title|Organization Title|"
                 "Stanowisko"},
    {"last_name", "Фамилия|Last Name|Family Name|Nazwisko"},
    {"first_name", "Имя|First Name|Given Name|Imię"},
    {"middle_name", "Отчество|Middle Name|Additional Name|Drugie imię"},
    {"birthday", "День рождения|Дата рождения|Birthday|Date of Birth|Data urodzenia|Urodziny"},
    {"gender", "Пол|Gender|Płeć"},
    {"comment", "Комментарий|Примечание|Заметки|Описание|Comment|Notes|Note|Uwagi|Notatki"},
    {"owner", "Менеджер|Ответственный|Owner|Opiekun"},
    {"id", "UID|Идентификатор|Identyfikator"}, /* a card's identity (vCard, iCalendar) */
    /* tags: a list ("VIP, Опт"; Google's "Labels" and "Group Membership" join with " ::: ") */
    {"tags", "Теги|Метки|Категории|Tags|Categories|Labels|Group Membership|Tagi|Kategorie"},
};

const cl_alias *cl__import_aliases(int *n) {
  *n = (int)(sizeof aliases / sizeof *aliases);
  return aliases;
}

static bool same(const char *a, size_t an, const char *b, size_t bn) {
  size_t la, lb;
  const char *ta = kt_text_trimn(a, an, &la), *tb = kt_text_trimn(b, bn, &lb);
  return kt_text_same_folded(ta, la, tb, lb);
}

static bool same_z(const char *a, const char *b) { return same(a, strlen(a), b, strlen(b)); }

/* Whether column name h is one of the '|'-separated names. */
static bool in_names(const char *names, const char *h) {
  for (const char *p = names; *p;) {
    const char *e = strchr(p, '|');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (same(p, n, h, strlen(h))) return true;
    if (!e) break;
    p = e + 1;
  }
  return false;
}

/* Whether column values may go into f: not a field the program sets, but the
 * id (a row's identity: the card it is, see cl_import.c). */
static bool importable(const kt_mfield *f) {
  return !(f->flags & KT_FF_SYSTEM) || f->vidx == KT_F_ID;
}

/* The field of t that column h names, and how (CL_MAP_*). */
static const kt_mfield *match(kt_mtype *t, const char *h, int *rank) {
  for (int k = 0; k < t->nfields; k++) {
    const kt_mfield *f = &t->fields[k];
    if (importable(f) && same_z(f->name, h)) return (*rank = CL_MAP_NAME), f;
  }
  for (size_t a = 0; a < sizeof aliases / sizeof *aliases; a++) {
    kt_mfield *f = kt_mtype_field(t, aliases[a].field);
    if (f && !f->custom && in_names(aliases[a].names, h)) return (*rank = CL_MAP_ALIAS), f;
  }
  for (int k = 0; k < t->nfields; k++) {
    const kt_mfield *f = &t->fields[k];
    if (!(f->flags & KT_FF_SYSTEM) && same_z(kt_mfield_label(f), h)) return (*rank = CL_MAP_LABEL), f;
  }
  *rank = CL_MAP_NONE;
  return NULL;
}

int cl__import_map(kt_mtype *t, char *const *header, int nheader, const cl_colmap *map, int nmap,
                   bool strict, bool report, const kt_mfield **fields, bool *skipped,
                   cl_import_note_fn note, void *ud, kt_err *err) {
  int *rank = calloc((size_t)(nheader ? nheader : 1), sizeof *rank);
  if (!rank) return kt_err_set(err, KT_ENOMEM, "out of memory");
  int rc = 0;
  for (int i = 0; i < nheader; i++) {
    fields[i] = NULL;
    skipped[i] = false;
  }
  for (int m = 0; m < nmap; m++) {
    bool found = false;
    for (int i = 0; i < nheader; i++) {
      if (!same_z(map[m].column, header[i])) continue;
      found = true;
      if (!*map[m].field) {
        skipped[i] = true;
        rank[i] = CL_MAP_EXPLICIT;
        continue;
      }
      kt_mfield *f;
      if ((rc = kt_mtype_field_get(t, map[m].field, &f, err))) {
        kt_err_prefix(err, "--map '%s=%s'", map[m].column, map[m].field);
        goto out;
      }
      if (!importable(f)) {
        rc = kt_err_set(err, KT_EINVAL, "--map '%s=%s': %s is set by the program, not imported",
                        map[m].column, map[m].field, f->name);
        goto out;
      }
      fields[i] = f;
      rank[i] = CL_MAP_EXPLICIT;
    }
    if (!found) {
      kt_buf cols = KT_BUF_INIT;
      for (int i = 0; i < nheader; i++) kt_buf_printf(&cols, "%s'%s'", i ? ", " : "", header[i]);
      rc = kt_err_set(err, KT_EINVAL, "--map '%s=%s': the file has no column '%s'; its columns "
                      "are %s", map[m].column, map[m].field, map[m].column, kt_buf_str(&cols));
      kt_buf_free(&cols);
      goto out;
    }
  }
  for (int i = 0; i < nheader; i++)
    if (!rank[i]) fields[i] = match(t, header[i], &rank[i]);
  /* one field, one column: the better rank wins, equal ranks are an error */
  for (int i = 0; i < nheader; i++) {
    for (int j = i + 1; fields[i] && j < nheader; j++) {
      if (fields[j] != fields[i]) continue;
      if (rank[i] == rank[j]) {
        rc = kt_err_set(err, KT_EINVAL, "columns %d ('%s') and %d ('%s') both map to the field "
                        "%s of %s; keep one: --map '%s=' skips a column, --map '%s=FIELD' puts "
                        "it elsewhere", i + 1, header[i], j + 1, header[j], fields[i]->name,
                        t->def->name, header[j], header[j]);
        goto out;
      }
      int lose = rank[i] < rank[j] ? i : j;
      fields[lose] = NULL;
      rank[lose] = CL_MAP_NONE;
    }
  }
  int nun = 0;
  kt_buf un = KT_BUF_INIT;
  for (int i = 0; i < nheader; i++) {
    if (fields[i] || skipped[i]) continue;
    nun++;
    kt_buf_printf(&un, "%s'%s'", un.len ? ", " : "", *header[i] ? header[i] : "(no name)");
    if (report && note) {
      cl_import_note n = {CL_NOTE_UNMAPPED, 0, i + 1, header[i], NULL};
      note(ud, &n);
    }
  }
  if (nun && strict)
    rc = kt_err_set(err, KT_EINVAL, "--strict: %d column%s match%s no field of %s: %s; map "
                    "%s with --map 'COLUMN=FIELD' or skip with --map 'COLUMN='", nun,
                    nun == 1 ? "" : "s", nun == 1 ? "es" : "", t->def->name, kt_buf_str(&un),
                    nun == 1 ? "it" : "them");
  kt_buf_free(&un);
out:
  free(rank);
  return rc;
}

/* Appends s with the spaces of digit groups removed (ASCII, NBSP, thin and
 * narrow spaces, apostrophes) and trailing/leading currency dropped. */
static void number_text(const char *s, size_t n, kt_buf *out) {
  size_t a = 0, b = n;
  /* currency signs or words around the number: "1 250 ₽", "$5", "100 zł", "10 руб." */
  while (a < b && !(s[a] >= '0' && s[a] <= '9') && s[a] != '-' && s[a] != '+' && s[a] != '.' &&
         s[a] != ',')
    a++;
  while (b > a && !(s[b - 1] >= '0' && s[b - 1] <= '9')) b--;
  if (a >= b) { /* no digits at all: leave it to the parser's message */
    kt_buf_append(out, s, n);
    return;
  }
  for (size_t i = a; i < b; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == ' ' || c == '\'') continue;
    if (c == 0xC2 && i + 1 < b && (unsigned char)s[i + 1] == 0xA0) { /* NBSP */
      i++;
      continue;
    }
    if (c == 0xE2 && i + 2 < b && (unsigned char)s[i + 1] == 0x80 &&
        ((unsigned char)s[i + 2] == 0xAF || (unsigned char)s[i + 2] == 0x89)) { /* narrow/thin */
      i += 2;
      continue;
    }
    kt_buf_putc(out, (char)c);
  }
}

void cl__import_value(const kt_mfield *f, const char *cell, kt_buf *out) {
  size_t n;
  const char *s = kt_text_trim(cell, &n);
  switch (f->type) {
  case KT_FT_DATE:
  case KT_FT_DATETIME:
    /* Outlook writes an empty birthday as 0.0.00 (or 00.00.0000) */
    if ((n == 6 && memcmp(s, "0.0.00", 6) == 0) || (n == 10 && memcmp(s, "00.00.0000", 10) == 0) ||
        (n == 10 && memcmp(s, "0000-00-00", 10) == 0))
      return;
    break;
  case KT_FT_MONEY:
  case KT_FT_INT:
    number_text(s, n, out);
    return;
  case KT_FT_NUMBER: {
    size_t start = out->len;
    number_text(s, n, out);
    /* "12,5" -> "12.5": a comma alone is the decimal separator */
    char *c = memchr(out->p + start, ',', out->len - start);
    if (c && !memchr(out->p + start, '.', out->len - start) && !memchr(c + 1, ',', (size_t)(out->p + out->len - c - 1)))
      *c = '.';
    return;
  }
  default:
    break;
  }
  kt_buf_append(out, s, n);
}
