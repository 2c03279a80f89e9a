"""Who lives in the demo: the personas the web chat switches between, and the staff behind them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.demo_district import DISTRICT_ID, STREETS


@dataclass(frozen=True)
class Person:
    """A user of the demo; ``units`` are bound (officers: every grid of those communities).

    Everyone is on Telegram unless ``openid`` is set: then they write from WeChat (the Official Account), and
    ``telegram_id`` only keys them in the demo.
    """

    key: str
    telegram_id: int
    name: str
    language: str  # Telegram's language_code
    kind: str  # citizen, volunteer, officer, supervisor
    units: tuple[str, ...] = ()
    persona: bool = False  # shown in the web chat's persona switcher
    color: str = "#5b8def"
    openid: str | None = None

    @property
    def channel(self) -> str:
        """Where the person writes from: ``telegram`` or ``wechat``."""
        return "wechat" if self.openid else "telegram"

    @property
    def external_id(self) -> str:
        """How their channel knows them: the Telegram user id, or the WeChat OpenID."""
        return self.openid or str(self.telegram_id)


@dataclass(frozen=True)
class Channel:
    """The broadcast channel that receives the weekly summary."""

    key: str
    chat_id: int
    title: str
    username: str
    language: str
    color: str


WECHAT_OPENID = "oCityDemo-LiuAyi-0000000000w1"

PERSONAS: tuple[Person, ...] = (
    Person("citizen", 2_000_001, "王芳", "zh-hans", "citizen", persona=True, color="#f08a24"),
    Person("volunteer", 2_000_002, "Emma", "en", "volunteer", persona=True, color="#27a17a"),
    # A neighbour who reports from the city's WeChat Official Account (随手拍) instead of Telegram.
    Person("wechat", 2_000_003, "刘阿姨", "zh-hans", "citizen", persona=True, color="#07c160", openid=WECHAT_OPENID),
    Person("officer", 3_000_001, "李建国", "zh-hans", "officer", ("DC-DS-DB", "DC-DS-LT"), True, "#3a7bd5"),
    Person("officer2", 3_000_002, "Chen Wei", "en", "officer", ("DC-CYM-SJ", "DC-CYM-NW"), True, "#7a5cd6"),
    # The duty supervisor of both officers' streets and of the district: every escalation of their cases, at each
    # level, reaches a persona the web chat shows.
    Person("supervisor", 4_000_001, "赵敏", "zh-hans", "supervisor", ("DC-DS", "DC-CYM", DISTRICT_ID), True, "#d64561"),
)

CHANNEL = Channel("channel", -1_001_234_567_890, "东城城市管理周报", "dongcheng_weekly", "zh_CN", "#1f9bd1")

_OFFICER_NAMES = (
    "张伟",
    "刘洋",
    "陈静",
    "杨磊",
    "黄丽",
    "周强",
    "吴敏",
    "徐涛",
    "孙燕",
    "马超",
    "朱琳",
    "胡军",
)
_CITIZEN_NAMES = ("周阿姨", "老张", "小陈", "Tom", "孙先生", "Mia")


def staff() -> tuple[Person, ...]:
    """Officers of the communities no persona covers, a supervisor for each other street (and the district's)."""
    covered = {unit for person in PERSONAS if person.kind == "officer" for unit in person.units}
    supervised = {unit for person in PERSONAS if person.kind == "supervisor" for unit in person.units}
    people: list[Person] = []
    names = iter(_OFFICER_NAMES)
    for street in STREETS:
        for community in street.communities:
            if community.id not in covered:
                name = next(names)
                people.append(
                    Person(
                        f"staff-{community.id}", 3_100_000 + len(people), name, "zh-hans", "officer", (community.id,)
                    )
                )
        if street.id not in supervised:
            people.append(
                Person(
                    f"staff-{street.id}",
                    4_100_000 + len(people),
                    f"{street.name}值班长",
                    "zh-hans",
                    "supervisor",
                    (street.id,),
                )
            )
    if DISTRICT_ID not in supervised:
        people.append(
            Person("staff-district", 4_200_000, "区城市管理监督中心", "zh-hans", "supervisor", (DISTRICT_ID,))
        )
    return tuple(people)


def neighbours() -> tuple[Person, ...]:
    """Citizens who reported in the weeks before the demo starts."""
    return tuple(
        Person(f"neighbour-{i}", 2_100_000 + i, name, "en" if name.isascii() else "zh-hans", "citizen")
        for i, name in enumerate(_CITIZEN_NAMES)
    )


def everyone() -> tuple[Person, ...]:
    """Every user of the demo (they all exist in the sandboxes, so deliveries to them succeed)."""
    return PERSONAS + staff() + neighbours()


def persona(key: str) -> Person:
    """The persona with this key."""
    return next(p for p in PERSONAS if p.key == key)
