/**
 * The {@code gradspark} command line: picocli commands that parse flags, read settings through
 * config, call the API, print, and set the exit code (0 done, 2 bad input, 3 diverged, 1 internal
 * error). No training logic lives here.
 *
 * <p>Imports: anything. Imported by: nothing (tests aside).
 */
package io.gradspark.cli;
