package io.gradspark.fs;

import io.gradspark.GradsparkException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The checks every command runs on an output before it writes, in one place:
 *
 * <ul>
 *   <li>an output is compared with the inputs by what it is, not how it is spelled: a local path
 *       (plain, relative or absolute, or {@code file:}) by its real path (symbolic links and
 *       {@code ..} resolved) and, when it exists, by its device and inode (so a hard link is the
 *       same file too); any other file system by its qualified, resolved path on that file
 *       system. An output that is an input file, one of the files of an input directory or glob,
 *       or a new file directly inside an input directory (the next read of that directory would
 *       take it as data) is refused;
 *   <li>an output replaces only a regular file: a device ({@code /dev/full}), a pipe or a socket
 *       named as an output is refused (a rename over it would replace the device node itself),
 *       as are a directory and a root.
 * </ul>
 */
public final class Outputs {
  private Outputs() {}

  /**
   * What a path is, for comparing: the file system ("file" for every local spelling), the real
   * path on it, and for an existing local file its device and inode (null otherwise).
   */
  record Identity(String fileSystem, String path, Object fileKey) {
    boolean same(Identity o) {
      if (fileKey != null && o.fileKey != null) {
        return fileKey.equals(o.fileKey);
      }
      return fileSystem.equals(o.fileSystem) && path.equals(o.path);
    }

    /** Whether this is a direct child of dir (a new name in it included). */
    boolean inside(Identity dir) {
      if (!fileSystem.equals(dir.fileSystem)) {
        return false;
      }
      String parent = path.substring(0, Math.max(path.lastIndexOf('/'), 0));
      String d = dir.path.endsWith("/") ? dir.path.substring(0, dir.path.length() - 1)
          : dir.path;
      return parent.equals(d) || parent.isEmpty() && d.isEmpty();
    }
  }

  /** The identity of a path as a user wrote it (see the class comment). */
  static Identity identity(String text) {
    if (HadoopPaths.isLocal(text)) {
      return local(HadoopPaths.localPath(text));
    }
    FileSystem fs = HadoopFiles.fileSystem(text, "path");
    Path p = fs.makeQualified(HadoopPaths.path(text));
    try {
      p = fs.resolvePath(p); // symbolic links, where the file system has them
    } catch (FileNotFoundException e) {
      // a new name: its qualified path is what it is
    } catch (IOException | RuntimeException e) {
      // unreachable or unsupported: compare the qualified path; writing reports what is wrong
    }
    java.net.URI u = p.toUri();
    String path = u.getPath() == null ? "" : u.getPath();
    return new Identity(u.getScheme() + "://" + u.getAuthority(),
        path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path,
        null);
  }

  private static Identity local(java.nio.file.Path p) {
    java.nio.file.Path abs = p.toAbsolutePath().normalize();
    // the deepest existing ancestor's real path, then the names that do not exist yet
    java.nio.file.Path existing = abs;
    java.nio.file.Path rest = abs.getFileSystem().getPath("");
    while (existing != null && !Files.exists(existing)) {
      java.nio.file.Path name = existing.getFileName();
      rest = name == null ? rest : name.resolve(rest);
      existing = existing.getParent();
    }
    java.nio.file.Path real = abs;
    Object key = null;
    if (existing != null) {
      try {
        real = existing.toRealPath().resolve(rest).normalize();
        if (rest.toString().isEmpty()) {
          key = Files.readAttributes(real, BasicFileAttributes.class).fileKey();
        }
      } catch (IOException e) {
        // unreadable: compare the absolute path
      }
    }
    return new Identity("file", real.toString(), key);
  }

  /**
   * Refuses output (optionWhat: "--output") when it is input or a part of it (inputWhat:
   * "--input"): input itself, a file of it when input is a directory or glob, or a new file
   * directly inside an input directory. An input that cannot be listed is left to its reader.
   */
  public static void refuseInput(String output, String optionWhat, String input,
      String inputWhat) {
    Identity out = identity(output);
    Identity in = identity(input);
    if (out.same(in)) {
      throw new GradsparkException(optionWhat + " is the " + inputWhat + " file: " + output
          + " and " + input + " name the same file, and writing it would destroy the input",
          "write " + optionWhat + " to another file");
    }
    if (!HadoopPaths.isGlob(input) && !HadoopFiles.isDirectory(input)) {
      return;
    }
    List<HadoopPaths.FileEntry> files;
    try {
      files = HadoopPaths.files(input, inputWhat);
    } catch (GradsparkException e) {
      return; // the read that follows says what is wrong with the input
    }
    for (HadoopPaths.FileEntry f : files) {
      if (out.same(identity(f.path()))) {
        throw new GradsparkException(optionWhat + " " + output + " is one of the "
            + inputWhat + " files (" + f.path() + " of " + input + "): writing it would "
            + "destroy the input", "write " + optionWhat + " outside the input data");
      }
    }
    if (HadoopFiles.isDirectory(input) && out.inside(in) && !hiddenName(output)) {
      throw new GradsparkException(optionWhat + " " + output + " is inside the " + inputWhat
          + " directory " + input + ": it would be read as data the next time",
          "write " + optionWhat + " outside the input data");
    }
  }

  private static boolean hiddenName(String path) {
    String name = HadoopPaths.name(path);
    return name.startsWith(".") || name.startsWith("_");
  }

  /**
   * Refuses a file output (what: "--output", "ONNX model") that is a root, a directory, or
   * exists as something other than a regular file (a device, a pipe, a socket; a symbolic link
   * is followed). A missing one is fine: it is a new name.
   */
  public static void checkFileTarget(String file, String what) {
    if (HadoopPaths.isLocal(file)) {
      java.nio.file.Path p = HadoopPaths.localPath(file);
      if (p.getParent() == null) {
        throw rootRefused(file, what);
      }
      if (Files.isDirectory(p)) {
        throw new GradsparkException(what + " " + file + " is a directory, not a file",
            "name the file to write, e.g. " + p.resolve("out").toString());
      }
      if (Files.exists(p) && !Files.isRegularFile(p)) {
        throw notRegular(file, what);
      }
      return;
    }
    Path p = HadoopPaths.path(file);
    if (p.getParent() == null) {
      throw rootRefused(file, what);
    }
    FileSystem fs = HadoopFiles.fileSystem(file, what);
    try {
      FileStatus s = fs.getFileStatus(p);
      if (s.isDirectory()) {
        throw new GradsparkException(what + " " + file + " is a directory, not a file",
            "name the file to write, e.g. " + new Path(p, "out"));
      }
      if (!s.isFile()) {
        throw notRegular(file, what);
      }
    } catch (FileNotFoundException e) {
      // a new name
    } catch (IOException e) {
      throw new GradsparkException("Cannot check " + what + " " + file + ": "
          + HadoopPaths.reason(e), "check the path and that its file system is reachable");
    }
  }

  /**
   * {@link #checkFileTarget}, and for a local file that its directory can be made and written:
   * for a command that writes its output only after a long run (bench), so that a mistake in
   * the path is refused before the run, not after it.
   */
  public static void checkWritable(String file, String what) {
    checkFileTarget(file, what);
    if (!HadoopPaths.isLocal(file)) {
      return;
    }
    java.nio.file.Path dir = HadoopPaths.localPath(file).getParent();
    while (dir != null && !Files.exists(dir)) {
      dir = dir.getParent();
    }
    if (dir == null) {
      return;
    }
    if (!Files.isDirectory(dir)) {
      throw new GradsparkException(what + " " + file + " cannot be written: " + dir
          + " is a file, not a directory", "name a file in a directory");
    }
    if (!Files.isWritable(dir)) {
      throw new GradsparkException(what + " " + file + " cannot be written: the directory "
          + dir + " is not writable", "name a file in a directory you can write to");
    }
  }

  /** Refuses a root ("/", "hdfs://nn:8020/") as an output. */
  public static GradsparkException rootRefused(String file, String what) {
    return new GradsparkException(what + " " + file + " is a root directory",
        "name a file or a new directory under it, e.g. " + HadoopFiles.resolve(file, "out"));
  }

  private static GradsparkException notRegular(String file, String what) {
    return new GradsparkException(what + " " + file + " exists and is not a regular file (a "
        + "device, a pipe or a socket): outputs replace only regular files",
        "name a regular file or a new one");
  }
}
