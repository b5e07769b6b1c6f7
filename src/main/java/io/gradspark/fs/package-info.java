/**
 * Files on any Hadoop file system: {@link io.gradspark.fs.HadoopPaths} turns the path a user
 * writes (a plain local path, {@code file:}, {@code hdfs://}, or any scheme whose file system is
 * on the classpath) into files to read (a file, a directory of part files, a glob), opens them at
 * an offset, and writes, lists, renames and deletes; a scheme with no file system is refused
 * naming the connector to add. The API is plain Java (strings, streams), so the packages that
 * read and write data do not see Hadoop's types; which Hadoop configuration is used is set by the
 * Spark layer ({@link io.gradspark.fs.HadoopPaths#configure}).
 *
 * <p>Imports: root. Imported by: data, io, api, config, experiment, spark, cli.
 */
package io.gradspark.fs;
