"""Synthetic adult patients of a Chinese community clinic with their health records, for demos and benchmarks.

Pure: no Django import. `generate(n_patients, years, seed, today)` yields one plain dict per patient (the
patient's own fields plus lists of conditions, medications, allergies, family history, encounters, tags and
an optional membership card). The same arguments always give the same rows: one `random.Random(seed)` drives
everything, nothing reads the global random state or the clock.

The figures are approximate and meant to make a demo population look plausible, not to do epidemiology.
Where they come from:
- Surnames: the ranking of 《2020年全国姓名报告》 (公安部户政管理研究中心, 2021); shares rounded.
- Sex ratio 51.2 : 48.8 and ethnicity (Han 91.1 %) from the Seventh National Population Census (2020).
- Hypertension by age: Wang Z et al., Circulation 2018;137:2344-56 (China Hypertension Survey 2012-15),
  scaled so the adult rate standardized to the 2020 census is ~27.5 %, the figure of
  《中国居民营养与慢性病状况报告（2020年）》 and the Report on Cardiovascular Health and Diseases in China.
- Diabetes by age: Li Y et al., BMJ 2020;369:m997 (~12 % of adults; the 2020 report gives 11.9 %).
- Dyslipidaemia ~35 % of adults: 《中国血脂管理指南（2023年）》; recorded diagnoses here run a little lower.
- Coronary heart disease and stroke rising steeply after 60: Report on Cardiovascular Health and Diseases in
  China 2022 (11.4 M CHD, 13 M stroke) and Wang W et al., Circulation 2017;135:759-71 (NESS-China).
- COPD: Wang C et al., Lancet 2018;391:1706-17 (13.7 % of adults 40+ by spirometry); most cases are never
  diagnosed, so the recorded rates here are about half of that.
- Chronic kidney disease: Wang L et al., JAMA Intern Med 2023;183:298-310 (8.2 % of adults).
- Fatty liver (NAFLD): Zhou F et al., Hepatology 2020;71:1851-64 (29 % of adults, peaking in middle age).
- Gout ~1 % of adults, men about five times women: 《中国高尿酸血症与痛风诊疗指南（2019）》.
- Smoking: China Adult Tobacco Survey 2018 (men 50.5 %, women 2.1 %).
Conditions are drawn independently of one another given age and sex, which is simpler than real
co-morbidity and keeps each condition's age-specific rate equal to the table below.
"""

import datetime
import decimal
import math
import random
from collections.abc import Iterator, Sequence
from typing import Any

from careloop.patients.idcard import check_character

# ruff: noqa: RUF002 -- Chinese names and titles use full-width punctuation, as the ICD-10 catalogue does.
from careloop.patients.synthetic_tables import (
    ACUTE_DIAGNOSES,
    AGE_BANDS,
    ALCOHOL_WEIGHTS,
    ALLERGIES,
    CARD_TIERS,
    CENSUS_ADULT_WEIGHTS,
    CHECKUP_DIAGNOSIS,
    CHINA_TZ,
    CLASSIC_NAMES,
    CLINIC_AGE_WEIGHTS,
    COMMUNITIES,
    CONDITIONS,
    DEPARTMENT_FOR,
    DEPARTMENTS,
    DIET_WEIGHTS,
    ETHNICITY_WEIGHTS,
    EXERCISE_WEIGHTS,
    FAMILY_CONDITIONS,
    GIVEN_CHARS,
    INSURANCE_WEIGHTS,
    LOCAL_COUNTIES,
    LOCAL_DISTRICTS,
    MEDICATIONS,
    MOBILE_PREFIXES,
    OTHER_COUNTIES,
    RECORD_FIELDS,
    ROADS,
    SURNAMES,
    TREATED_SHARE,
    WORKING_OCCUPATIONS,
)


def age_band(age: int) -> int:
    """Index into AGE_BANDS; ages past the last band count in it."""
    for index, (low, high) in enumerate(AGE_BANDS):
        if low <= age <= high:
            return index
    return 0 if age < AGE_BANDS[0][0] else len(AGE_BANDS) - 1


def prevalence(code: str, age: int, sex: str) -> float:
    """The chance that a person of this age and sex has the condition: the band's rate split by sex ratio."""
    _, _, rates, ratio = CONDITIONS[code]
    rate = rates[age_band(age)]
    return rate * 2 * ratio / (1 + ratio) if sex == "male" else rate * 2 / (1 + ratio)


def standardized_rate(rates: list[float], weights: list[float] = CENSUS_ADULT_WEIGHTS) -> float:
    """Direct age standardization: the rate a population with `weights` by AGE_BANDS would show."""
    return sum(r * w for r, w in zip(rates, weights, strict=True)) / sum(weights)


def resident_id(county: str, birth: datetime.date, sequence: int) -> str:
    """An 18-character GB 11643 number; `sequence` (0-999) is odd for men, even for women."""
    first17 = f"{county}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def _age_on(birth: datetime.date, day: datetime.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _pick[T](rng: random.Random, weighted: Sequence[tuple[T, float]]) -> T:
    return rng.choices([value for value, _ in weighted], [weight for _, weight in weighted])[0]


def _day_between(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    if last <= first:
        return first
    return first + datetime.timedelta(days=rng.randrange((last - first).days + 1))


def _at(
    rng: random.Random, day: datetime.date, tz: datetime.tzinfo, first_hour: int = 8, last_hour: int = 16
) -> datetime.datetime:
    """A time on `day` between the hours given, on the quarter hour."""
    clock = datetime.time(rng.randint(first_hour, last_hour), rng.choice((0, 15, 30, 45)))
    return datetime.datetime.combine(day, clock, tz)


def _department(conditions: list[dict[str, Any]]) -> str | None:
    """The clinic department that looks after the first condition that has one."""
    return next(
        (DEPARTMENT_FOR[c["icd10_code"]] for c in conditions if c["icd10_code"] in DEPARTMENT_FOR), None
    )


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


class _Generator:
    def __init__(self, rng: random.Random, years: int, today: datetime.date, tz: datetime.tzinfo):
        self.rng = rng
        self.years = years
        self.today = today
        self.tz = tz
        self.window_start = _years_before(today, years)
        self.used_ids: set[str] = set()
        self.used_mobiles: set[str] = set()

    def name(self, sex: str, birth_year: int) -> str:
        rng = self.rng
        surname = _pick(rng, SURNAMES)
        era = "old" if birth_year < 1960 else "middle" if birth_year < 1985 else "young"
        if era == "old" and rng.random() < 0.35:
            return surname + rng.choice(CLASSIC_NAMES[sex])
        chars = GIVEN_CHARS[(sex, era)]
        single = rng.random() < (0.30 if era == "middle" else 0.15)
        given = rng.choice(chars) if single else rng.choice(chars) + rng.choice(chars)
        return surname + given

    def birth_date(self) -> datetime.date:
        low, high = AGE_BANDS[self.rng.choices(range(len(AGE_BANDS)), CLINIC_AGE_WEIGHTS)[0]]
        age = self.rng.randint(low, high)
        latest = _years_before(self.today, age)  # turned `age` today at the latest
        return latest - datetime.timedelta(days=self.rng.randrange(365))

    def id_number(self, birth: datetime.date, sex: str) -> str:
        county = (
            self.rng.choice(LOCAL_COUNTIES) if self.rng.random() < 0.7 else self.rng.choice(OTHER_COUNTIES)
        )
        while True:
            sequence = self.rng.randrange(0, 1000, 2) + (1 if sex == "male" else 0)
            number = resident_id(county, birth, sequence)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.used_mobiles:
                self.used_mobiles.add(number)
                return number

    def address(self) -> str:
        rng = self.rng
        street = f"浙江省杭州市{rng.choice(LOCAL_DISTRICTS)}{rng.choice(ROADS)}{rng.randint(1, 399)}号"
        flat = f"{rng.randint(1, 30)}幢{rng.randint(1, 4)}单元{rng.randint(1, 18)}0{rng.randint(1, 4)}室"
        return street + rng.choice(COMMUNITIES) + flat

    def occupation(self, age: int, sex: str) -> str:
        retirement = 60 if sex == "male" else 55
        if age >= retirement and self.rng.random() < 0.88:
            return "retired"
        if age <= 22 and self.rng.random() < 0.6:
            return "student"
        return _pick(self.rng, WORKING_OCCUPATIONS)

    def conditions(self, birth: datetime.date, age: int, sex: str) -> list[dict[str, Any]]:
        rng = self.rng
        found = []
        for code, (name, _, _, _) in CONDITIONS.items():
            if rng.random() >= prevalence(code, age, sex):
                continue
            # Diagnosed at some point after 30 (or after 18 for the young), up to a month ago.
            earliest = max(_years_before(birth, -min(30, max(18, age - 5))), _years_before(self.today, 25))
            onset = _day_between(rng, earliest, self.today - datetime.timedelta(days=30))
            status = "active"
            if code == "M10.9" and rng.random() < 0.3:
                status = "remission"
            elif code == "K76.0" and rng.random() < 0.1:
                status = "resolved"
            found.append({"icd10_code": code, "name": name, "onset_date": onset, "clinical_status": status})
        return found

    def medications(self, conditions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rng = self.rng
        given: list[dict[str, Any]] = []
        names: set[str] = set()
        yesterday = self.today - datetime.timedelta(days=1)
        for condition in conditions:
            code = condition["icd10_code"]
            if condition["clinical_status"] == "resolved" or rng.random() >= TREATED_SHARE[code]:
                continue
            options = MEDICATIONS[code]
            count = 1 if rng.random() < 0.65 or len(options) == 1 else 2
            # The commonest drug first, the others in turn; a set of names avoids prescribing one twice.
            chosen = [options[0] if rng.random() < 0.5 else rng.choice(options)]
            while len(chosen) < count:
                extra = rng.choice(options)
                if extra not in chosen:
                    chosen.append(extra)
            start = min(condition["onset_date"] + datetime.timedelta(days=rng.randint(0, 60)), yesterday)
            for name, dose, route, frequency in chosen:
                if name in names:
                    continue
                names.add(name)
                stop = None
                if rng.random() < 0.12:  # switched: the old prescription stays in the record, stopped
                    stop = _day_between(rng, start, yesterday)
                given.append(
                    {
                        "name": name,
                        "dose": dose,
                        "route": route,
                        "frequency": frequency,
                        "start_date": start,
                        "stop_date": stop,
                    }
                )
        return given

    def allergies(self) -> list[dict[str, Any]]:
        found = []
        for substance, category, reaction, share in ALLERGIES:
            if self.rng.random() < share:
                severity = _pick(self.rng, [("mild", 70), ("moderate", 25), ("severe", 5)])
                found.append(
                    {"substance": substance, "category": category, "reaction": reaction, "severity": severity}
                )
        return found

    def lifestyle(self, sex: str, conditions: list[dict[str, Any]]) -> dict[str, Any]:
        rng = self.rng
        if sex == "male":
            smoking = _pick(rng, [("current", 48), ("former", 12), ("never", 40)])
            alcohol = _pick(rng, ALCOHOL_WEIGHTS["male"])
        else:
            smoking = _pick(rng, [("current", 2), ("former", 1), ("never", 97)])
            alcohol = _pick(rng, ALCOHOL_WEIGHTS["female"])
        codes = {c["icd10_code"] for c in conditions}
        diet = _pick(rng, DIET_WEIGHTS)
        salt = _pick(rng, [("low", 15), ("moderate", 45), ("high", 40 if "I10" in codes else 30)])
        two_years_ago = self.today - datetime.timedelta(days=730)
        assessed = _day_between(rng, max(self.window_start, two_years_ago), self.today)
        return {
            "smoking": smoking,
            "cigarettes_per_day": rng.choice((5, 10, 10, 15, 20, 20, 30)) if smoking == "current" else None,
            "alcohol": alcohol,
            "diet": diet,
            "salt_intake": salt,
            "exercise": _pick(rng, EXERCISE_WEIGHTS),
            "sleep_hours": decimal.Decimal(rng.choice(range(50, 95, 5))) / 10,
            "assessed_on": assessed,
        }

    def family_history(self) -> list[dict[str, Any]]:
        rows = []
        for code, name, share in FAMILY_CONDITIONS:
            if self.rng.random() < share:
                relative = _pick(self.rng, [("father", 45), ("mother", 45), ("sibling", 10)])
                rows.append({"relative": relative, "icd10_code": code, "condition": name, "note": ""})
        return rows

    def encounters(
        self, age: int, conditions: list[dict[str, Any]], registered: datetime.date
    ) -> list[dict[str, Any]]:
        rng = self.rng
        start = max(self.window_start, registered)
        span_days = (self.today - start).days
        if span_days <= 0:
            return []
        span_years = span_days / 365.25
        active = [c for c in conditions if c["clinical_status"] != "resolved"]

        def chronic_text(day: datetime.date) -> str:
            # A visit lists only the conditions already diagnosed by its date.
            known = [c for c in active if c["onset_date"] <= day][:4]
            return "; ".join(f"{c['icd10_code']} {c['name']}" for c in known)

        department = _department(active) or "全科"
        serious = sum(c["icd10_code"] in {"I25.1", "I63.9", "J44.9", "N18.9"} for c in active)
        rows: list[dict[str, Any]] = []

        def visits(rate_per_year: float) -> int:
            # Poisson counts by Knuth's product method: small means, and it stays on the seeded generator.
            limit, count, product = math.exp(-rate_per_year * span_years), 0, rng.random()
            while product > limit:
                count += 1
                product *= rng.random()
            return count

        def add(
            kind: str,
            at: datetime.datetime,
            department: str,
            text: str,
            discharged: datetime.datetime | None = None,
        ) -> None:
            rows.append(
                {
                    "encounter_class": kind,
                    "admitted_at": at,
                    "discharged_at": discharged,
                    "department": department,
                    "diagnoses": text[:300],
                }
            )

        for _ in range(visits(0.6 + 1.2 * min(len(active), 3))):
            at = _at(rng, _day_between(rng, start, self.today), self.tz)
            if active and rng.random() < 0.85 and chronic_text(at.date()):
                add("outpatient", at, department, chronic_text(at.date()))
            else:
                add("outpatient", at, "全科", rng.choice(ACUTE_DIAGNOSES))
        # 国家基本公共卫生服务: a free yearly health check for people 65 and over; fewer younger people come.
        checkup_rate = 0.65 if age >= 65 else 0.2
        for year in range(start.year, self.today.year + 1):
            if rng.random() < checkup_rate:
                first, last = (
                    max(start, datetime.date(year, 3, 1)),
                    min(self.today, datetime.date(year, 11, 30)),
                )
                day = _day_between(rng, first, last)
                if start <= day <= self.today:
                    add("checkup", _at(rng, day, self.tz, 7, 10), "全科", CHECKUP_DIAGNOSIS)
        for _ in range(visits(0.03 + 0.08 * serious + (0.04 if age >= 75 else 0.0))):
            admitted = _at(rng, _day_between(rng, start, self.today), self.tz, 0, 23)
            discharged = admitted + datetime.timedelta(days=rng.randint(3, 14), hours=rng.randint(0, 6))
            still_in = discharged.date() >= self.today
            text = chronic_text(admitted.date()) or rng.choice(ACUTE_DIAGNOSES)
            add("inpatient", admitted, department, text, None if still_in else discharged)
        for _ in range(visits(0.05)):
            at = _at(rng, _day_between(rng, start, self.today), self.tz, 0, 23)
            add("emergency", at, "全科", rng.choice(ACUTE_DIAGNOSES))
        if age >= 80 and serious:
            for _ in range(visits(1.0)):
                at = _at(rng, _day_between(rng, start, self.today), self.tz, 9, 16)
                add("home", at, "慢病管理科", chronic_text(at.date()) or CHECKUP_DIAGNOSIS)
        rows.sort(key=lambda row: row["admitted_at"])
        return rows

    def patient(self) -> dict[str, Any]:
        rng = self.rng
        sex = "male" if rng.random() < 0.512 else "female"
        birth = self.birth_date()
        age = _age_on(birth, self.today)
        conditions = self.conditions(birth, age, sex)
        yesterday = self.today - datetime.timedelta(days=1)
        registered = _day_between(rng, _years_before(self.window_start, 3), yesterday)
        tag_names = [CONDITIONS[c["icd10_code"]][1] for c in conditions if c["clinical_status"] != "resolved"]
        tags = [(tag, "import") for tag in tag_names]
        if age >= 80:
            tags.append(("高龄", "import"))
        if age >= 65 and rng.random() < 0.45:
            tags.append(("家庭医生签约", "manual"))
        if age >= 70 and rng.random() < 0.08:
            tags.append(("独居老人", "manual"))
        card = None
        if rng.random() < 0.3:
            card = {"tier": _pick(rng, CARD_TIERS), "issued_on": _day_between(rng, registered, self.today)}
        primary = _department(conditions)
        return {
            "patient": {
                "name": self.name(sex, birth.year),
                "sex": sex,
                "birth_date": birth,
                "id_type": "resident",
                "id_number": self.id_number(birth, sex),
                "mobile": "" if age >= 80 and rng.random() < 0.1 else self.mobile(),
                "address": self.address(),
                "ethnicity": _pick(rng, ETHNICITY_WEIGHTS),
                "occupation": self.occupation(age, sex),
                "insurance_type": _pick(rng, INSURANCE_WEIGHTS),
                "registered_at": _at(rng, registered, self.tz),
            },
            "department": primary or ("慢病管理科" if conditions else "全科"),
            "conditions": conditions,
            "medications": self.medications(conditions),
            "allergies": self.allergies(),
            "lifestyle": self.lifestyle(sex, conditions),
            "family_history": self.family_history(),
            "encounters": self.encounters(age, conditions, registered),
            "tags": tags,
            "card": card,
        }


def generate(
    n_patients: int,
    years: int,
    seed: int,
    today: datetime.date,
    tz: datetime.tzinfo = CHINA_TZ,
) -> Iterator[dict[str, Any]]:
    """`n_patients` patients with `years` years of encounters up to `today`; same arguments, same rows."""
    if n_patients < 0 or years < 1:
        raise ValueError(f"need n_patients >= 0 and years >= 1, got {n_patients} and {years}")
    generator = _Generator(random.Random(seed), years, today, tz)  # noqa: S311 -- reproducible, not secret
    for _ in range(n_patients):
        yield generator.patient()


# DEPARTMENTS and RECORD_FIELDS are part of this module's interface: the seed command reads them.
__all__ = ["DEPARTMENTS", "RECORD_FIELDS", "generate"]
