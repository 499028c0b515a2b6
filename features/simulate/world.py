"""The simulated county's constants: townships, livelihoods, seasons, products, names and the time line."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.county import (  # noqa: F401 - the simulator's constants include the county's own facts
    BRANCH_OFFICE,
    LIVELIHOODS,
    SHENGSI_REGION,
    TOWNSHIPS,
)
from features.county import TOWNSHIP_CENTRES as TOWNSHIP_CENTRES_BY_NAME

# 2000 population shares (thousands): 菜园 27.2, 嵊山 10.8, 洋山 9.5, 五龙 5.2, 黄龙 9.6, 枸杞 9.2, 花鸟 2.2.
TOWNSHIP_POPULATION = np.array([27.2, 10.8, 9.5, 5.2, 9.6, 9.2, 2.2])
# Township centres (latitude, longitude) as rows in TOWNSHIPS' order, for visit GPS positions.
TOWNSHIP_CENTRES = np.array([TOWNSHIP_CENTRES_BY_NAME[name] for name in TOWNSHIPS])
# Livelihood odds by township (rows follow TOWNSHIPS, columns LIVELIHOODS).
LIVELIHOOD_ODDS = np.array(
    [
        [1.0, 0.2, 0.8, 0.6, 1.6, 2.6, 1.4],  # 菜园: the county seat, shops and wage work
        [2.2, 0.6, 1.4, 0.3, 0.7, 0.8, 1.2],  # 嵊山: fishing and B&Bs
        [0.8, 0.2, 0.4, 3.0, 0.8, 1.2, 1.0],  # 洋山: port and logistics
        [1.4, 0.8, 0.6, 0.3, 0.6, 0.9, 1.4],  # 五龙
        [2.0, 0.6, 0.6, 0.3, 0.7, 0.7, 1.4],  # 黄龙
        [0.7, 3.2, 1.0, 0.2, 0.5, 0.5, 1.0],  # 枸杞: mussel farming
        [1.0, 0.5, 2.6, 0.2, 0.5, 0.4, 1.2],  # 花鸟: B&Bs
    ]
)
# Median annual household income (yuan) for a household of three, and its log-sd, by livelihood.
INCOME_MEDIAN = {"fishing": 92_000, "mussel": 190_000, "bnb": 98_000, "port": 86_000, "shop": 82_000,
                 "wage": 78_000, "pension": 52_000}
INCOME_SIGMA = {"fishing": 0.45, "mussel": 0.6, "bnb": 0.5, "port": 0.3, "shop": 0.4, "wage": 0.3,
                "pension": 0.25}
# Monthly income share by livelihood (Jan..Dec), each row sums to 12. Fishing: the 1 May - 16 Sep moratorium;
# mussels: harvest Jul-Aug after the 15 Apr - 30 Jun closed season; B&Bs: summer peak.
SEASON = {
    "fishing": [1.6, 1.2, 1.3, 1.4, 0.05, 0.05, 0.05, 0.05, 0.3, 2.2, 2.0, 1.75],
    "mussel": [0.6, 0.5, 0.5, 0.5, 0.3, 0.3, 3.2, 3.4, 0.9, 0.6, 0.6, 0.6],
    "bnb": [0.4, 0.6, 0.5, 0.8, 1.1, 1.2, 2.6, 2.8, 0.9, 0.8, 0.4, 0.1],
    "port": [1.0] * 12,
    "shop": [1.1, 1.3, 0.9, 0.9, 0.9, 1.0, 1.1, 1.1, 0.9, 1.0, 0.9, 0.9],
    "wage": [1.0] * 12,
    "pension": [1.0] * 12,
}
BUSINESS_LIVELIHOODS = ("fishing", "mussel", "bnb", "shop")
PURPOSES = ("business", "medical", "education", "housing")
# Purpose -> (product code, 共富 product name, customer rate). The bank's normal rate is above the 3.8% cap.
PRODUCTS = {
    "business": ("GF-JY", "共富经营贷", 0.038),
    "medical": ("GF-YL", "共富助医贷", 0.036),
    "education": ("GF-XX", "共富助学贷", 0.036),
    "housing": ("GF-AJ", "共富安居贷", 0.037),
}
BANK_NORMAL_RATE = 0.075
LOAN_CAP = 500_000
HOUSEHOLD_INCOME_CAP = 100_000  # the policy's cap for a household of three; the simulator's own copy of the story

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国海波萍玉兰红梅林峰云飞斌浩宇鑫志"
# Characters an account manager or a clerk types instead of another (same or close pronunciation).
SOUND_ALIKE = {"伟": "玮", "芳": "方", "娜": "纳", "敏": "民", "静": "晶", "丽": "莉", "强": "蔷", "磊": "雷",
               "军": "君", "洋": "阳", "勇": "永", "艳": "燕", "杰": "洁", "娟": "鹃", "涛": "滔", "明": "铭",
               "超": "潮", "秀": "绣", "霞": "侠", "平": "萍", "刚": "钢", "桂": "贵", "英": "莹", "华": "桦",
               "建": "键", "国": "帼", "海": "凯", "波": "博", "玉": "钰", "兰": "岚", "红": "虹", "梅": "玫",
               "林": "琳", "峰": "锋", "云": "芸", "飞": "菲", "斌": "彬", "浩": "皓", "宇": "雨", "鑫": "欣",
               "志": "智", "萍": "苹"}
OTHER_REGIONS = ("330902", "330903", "330921", "330106", "330203", "341181", "320583")
FIVE_CLASSES = ("正常", "关注", "次级", "可疑", "损失")
MEMBER_RELATIONS = ("户主", "配偶", "子女", "父母", "孙子女")
SCHOOLING = ("none", "primary", "junior", "senior", "college")

FLOW_START = pd.Timestamp("2020-07-01")  # 24-36 months of flows before the first applications (2023-09)
FLOW_MONTHS = 66  # 2020-07 .. 2025-12
# The plan's 附件2 timeline: lists matched 2023-06-10 .. 07-31, visits from 08-01, loans from 09-01, to the end of 2025.
LIST_DATE = pd.Timestamp("2023-07-31")  # the matched 扩中 list (初筛名单)
VISITS_FROM = pd.Timestamp("2023-08-01")
LOANS_FROM = pd.Timestamp("2023-09-01")
PILOT_END = pd.Timestamp("2025-12-31")
# Visits per period at the pace of 附件1's cumulative targets (1,360 / 4,100 / 6,900 households by the year ends):
# (first day, last day, households visited in the period); the simulator's own copy of the plan's numbers.
VISIT_PACE = ((pd.Timestamp("2023-08-01"), pd.Timestamp("2023-12-31"), 1_360),
              (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31"), 2_740),
              (pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-31"), 2_800))
# The province's 扩中 list leaves out households whose recorded income is under this share of the program's cap
# (the 提低 group the county helps otherwise) and households its base list holds no data on; with the cap, the
# bank's customers and the other reasons it puts about 22% of households on the list (the plan's 6,900 of 31,128).
LIST_INCOME_FLOOR = 0.6
PROVINCE_LIST_MISSING = 0.25
LIST_REFRESHES = (pd.Timestamp("2025-01-15"), pd.Timestamp("2026-01-15"))
TYPHOON_YEARS = (2022, 2024)
ACCOUNT_MANAGERS_PER_TOWNSHIP = 4
# Account managers (township index, number) who rush visits: short, few photos, GPS from the branch office.
HURRIED_MANAGERS = ((0, 3), (2, 1), (4, 2))
