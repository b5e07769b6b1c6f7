/**
 * Files on any Hadoop file system: {@link io.gradspark.fs.HadoopPaths} turns the path a user
 * writes (a plain local path, {@code file:}, {@code hdfs://}, or any scheme whose file system is
 * on the classpath) into files to read (a file, a directory of part files, a glob), opens them at
 * an offset, and writes, lists, renames and deletes; a scheme with no file system is refused
 * naming the connector to add. The API is plain Java (strings, streams), so the packages that
 * read and write data do not see Hadoop's types; which Hadoop configuration is used is set by the
 * Spark layer ({@link io.gradspark.fs.HadoopPaths#configure}). {@link io.gradspark.fs.HadoopFiles}
 * writes outputs on the same paths (atomically: a hidden temporary name, then a rename; a plain
 * path with java.nio as always, a URI through its Hadoop file system) and lists, renames and
 * deletes them; {@link io.gradspark.fs.Outputs} holds the checks every command runs on an
 * output before it writes (an output is never an input, compared by identity, not spelling; it
 * replaces only a regular file); {@link io.gradspark.fs.LockFile} is the lock of a run directory
 * where there is no OS lock (a lock file created exclusively, with a heartbeat).
 * {@link io.gradspark.fs.ParquetFiles} opens a Parquet file's low-level reader on the same file
 * systems.
 *
 * <p>Imports: root. Imported by: data, io, api, config, experiment, spark, cli.
 */
package io.gradspark.fs;
