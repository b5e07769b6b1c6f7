/**
 * Settings: HOCON files and {@code --set} overrides over the documented defaults in
 * reference.conf ({@link io.gradspark.config.Settings}, with "did you mean" for unknown keys), read
 * into the typed {@link io.gradspark.api.RunSpec} and the run's data sources by {@link
 * io.gradspark.config.RunSpecs}. The only code that knows key names: it adds the key and the file
 * and line a value came from to the core's own message about the value.
 *
 * <p>Imports: root, nn, optim, data, train, api, fs. Imported by: experiment, cli.
 */
package io.gradspark.config;
