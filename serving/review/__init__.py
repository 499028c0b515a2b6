"""The government's half of stage 2: the 待审核名单, online review of the 采集表, and the versioned 最终名单."""
