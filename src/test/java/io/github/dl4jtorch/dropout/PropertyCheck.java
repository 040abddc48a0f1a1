package io.github.dl4jtorch.dropout;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A small property-based test runner for the JUnit tests: checks a property on generated cases and, when one
 * fails, shrinks it to a minimal failing case and reports both with the seed that reproduces the run.
 *
 * <p>Cases come from a generator fed by a {@link SplittableRandom} seeded from the run's seed and the property's
 * name, so every run checks the same cases unless the seed is given: {@code -Ddropout.properties.seed=N}
 * explores (or replays) another run, {@code -Ddropout.properties.tries=K} multiplies the number of cases.
 * Shrinking is greedy: the first simpler case (see {@link Shrinkable#shrinks()}) that still fails replaces the
 * current one, until none does.
 *
 * <p>Why not jqwik, the usual engine: since 1.10 it carries an "Anti-AI Usage Clause" (its README and release
 * notes): its maintainers do not want it used by AI coding agents at all, and warn that its output may confuse
 * them. This project is developed with agents. Releases before 1.10 predate the clause, but picking one to step
 * around it would still go against what the maintainers ask; the other Java engines (junit-quickcheck,
 * QuickTheories) have had no release since 2020.
 */
final class PropertyCheck {

    /** The run's seed; fixed by default so that CI checks the same cases every time. */
    static final long SEED = Long.getLong("dropout.properties.seed", 20_240_611L);
    /** Factor on every property's number of cases, for longer searches by hand. */
    static final int TRIES_FACTOR = Integer.getInteger("dropout.properties.tries", 1);
    /** Candidate cases tried while shrinking one failure, at most. */
    private static final int SHRINK_BUDGET = 2_000;
    /** Cases drawn for one that the property admits, at most. */
    private static final int MAX_DRAWS = 1_000;

    private PropertyCheck() {
    }

    /** A generated case that can propose simpler versions of itself. */
    interface Shrinkable<T> {
        /** Simpler cases, the most promising first; the runner skips those its property does not admit. */
        List<T> shrinks();
    }

    /**
     * Checks {@code property} on {@code tries} cases drawn by {@code generator} that {@code admits} (the others are
     * drawn again).
     *
     * @param name      the property's name, for the report and the cases' seed
     * @param admits    the cases the property speaks of; shrinking stays among them
     * @param property  throws (an assertion error, or anything else) when the case falsifies it
     * @throws AssertionError naming the minimal failing case, the original one, their failures and the seed
     */
    static <T extends Shrinkable<T>> void forAll(String name, int tries, Function<SplittableRandom, T> generator,
                                                 Predicate<T> admits, Consumer<T> property) {
        SplittableRandom random = new SplittableRandom(SEED ^ name.hashCode());
        int cases = tries * TRIES_FACTOR;
        for (int i = 0; i < cases; i++) {
            T generated = generator.apply(random);
            for (int drawn = 1; !admits.test(generated); drawn++) {
                if (drawn == MAX_DRAWS) {
                    throw new IllegalStateException(name + ": " + MAX_DRAWS + " cases drawn in a row, none admitted");
                }
                generated = generator.apply(random);
            }
            Throwable failure = failureOf(property, generated);
            if (failure != null) {
                throw report(name, i, cases, generated, failure, admits, property);
            }
        }
    }

    private static <T> Throwable failureOf(Consumer<T> property, T candidate) {
        try {
            property.accept(candidate);
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    private static <T extends Shrinkable<T>> AssertionError report(String name, int index, int cases, T original,
                                                                   Throwable originalFailure, Predicate<T> admits,
                                                                   Consumer<T> property) {
        T minimal = original;
        Throwable minimalFailure = originalFailure;
        int steps = 0;
        int evaluations = 0;
        boolean shrunk = true;
        while (shrunk && evaluations < SHRINK_BUDGET) {
            shrunk = false;
            for (T candidate : minimal.shrinks()) {
                if (evaluations >= SHRINK_BUDGET) {
                    break;
                }
                if (!admits.test(candidate)) {
                    continue;
                }
                evaluations++;
                Throwable failure = failureOf(property, candidate);
                if (failure != null) {
                    minimal = candidate;
                    minimalFailure = failure;
                    steps++;
                    shrunk = true;
                    break;
                }
            }
        }
        AssertionError error = new AssertionError("Property \"" + name + "\" falsified by case " + (index + 1) + " of "
                + cases + " (seed " + SEED + "; replay with -Ddropout.properties.seed=" + SEED + ")\n"
                + "  minimal case (" + steps + " shrinking steps, " + evaluations + " candidates): " + minimal + "\n"
                + "    fails with: " + minimalFailure + "\n"
                + "  original case: " + original + "\n"
                + "    fails with: " + originalFailure, minimalFailure);
        if (minimalFailure != originalFailure) {
            error.addSuppressed(originalFailure);
        }
        return error;
    }
}
