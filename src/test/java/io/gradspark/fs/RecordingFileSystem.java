package io.gradspark.fs;

import java.io.IOException;
import java.net.URI;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * A Hadoop file system for the scheme "recording" (set fs.recording.impl to this class): the local
 * disk, remembering whether it was closed, so a test can tell which configuration an instance
 * was made with (its getConf()) and that it was closed.
 */
public class RecordingFileSystem extends RawLocalFileSystem {
  private volatile boolean closed;

  @Override
  public URI getUri() {
    return URI.create("recording:///");
  }

  @Override
  public String getScheme() {
    return "recording";
  }

  @Override
  public void close() throws IOException {
    closed = true;
    super.close();
  }

  public boolean closed() {
    return closed;
  }
}
