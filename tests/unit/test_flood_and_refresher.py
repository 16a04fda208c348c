from bot.flood import FloodGuard


def test_the_flood_guard_allows_a_burst_then_warns_once_then_forgives():
    guard = FloodGuard(limit=3, window=10)
    results = [guard.allow((1, 2), now=100 + i * 0.1) for i in range(6)]
    assert [allowed for allowed, _ in results] == [True, True, True, False, False, False]
    assert [warn for _, warn in results] == [False, False, False, True, False, False]
    assert guard.allow((1, 3), now=101) == (True, False)  # someone else is not affected
    assert guard.allow((1, 2), now=111) == (True, False)  # a new window


def test_the_flood_guard_forgets_idle_senders():
    guard = FloodGuard(limit=3, window=10)
    for user in range(1000):
        guard.allow((1, user), now=0)
    assert len(guard) == 1000
    guard.allow((1, 5000), now=50)
    assert len(guard) == 1
