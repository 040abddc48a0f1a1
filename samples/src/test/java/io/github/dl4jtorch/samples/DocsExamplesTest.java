package io.github.dl4jtorch.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/** The docs' examples print what the docs say they show. */
class DocsExamplesTest {

    @Test
    void printsWhatTheDocsPrint() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new DocsExamples(new PrintStream(bytes, true, StandardCharsets.UTF_8)).runAll();
        String text = bytes.toString(StandardCharsets.UTF_8);

        assertTrue(text.contains("kept elements multiplied by 2.0000"), text);
        assertTrue(text.contains("Input: [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]"), text);
        for (int i = 1; i <= 3; i++) {
            assertTrue(Pattern.compile("Output " + i + ": \\[([02]\\.0(, )?){10}\\]").matcher(text).find(), text);
        }
        assertTrue(text.contains("Evaluation mode - Activation ratio: 1.0"), text);
        assertTrue(text.contains("Training mode output shape: [32, 10]"), text);
        assertTrue(text.contains("Evaluation mode output shape: [32, 10]"), text);
        assertTrue(text.contains("Dropout2d output shape: [1, 4, 4, 4]"), text);
        assertTrue(text.contains("Per channel, every value is equal (all 0 or all 2): true"), text);

        Matcher sweep = Pattern.compile("p=(0\\.\\d) - Average activation ratio: ([\\d.]+)% \\(Expected: ([\\d.]+)%\\)")
                .matcher(text);
        int rows = 0;
        while (sweep.find()) {
            rows++;
            double measured = Double.parseDouble(sweep.group(2));
            double expected = Double.parseDouble(sweep.group(3));
            assertEquals(100 * (1 - Double.parseDouble(sweep.group(1))), expected, 1e-9);
            // 100,000 draws: the standard deviation of the average is at most 0.16 points.
            assertEquals(expected, measured, 1.0, sweep.group());
        }
        assertEquals(4, rows, text);
    }
}
