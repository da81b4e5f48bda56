// compass's renderer: one invocation per pixel of a W x H RGBA8 image showing a grid of
// compass needles, rows = positions, columns = frequency pairs. Cell (r, c) reads the
// rotated unit vector (cos, sin) of pair c at row r's position (vkrope's RoPE output,
// interleaved layout: [rows][2 * cols]) and draws a needle at that angle: red toward the
// angle, dark grey away from it, inside a light ring. Angles grow counter-clockwise from
// east, as on paper (image y points down, so sin is negated).
#version 450
layout(local_size_x = 8, local_size_y = 8) in;
layout(set = 0, binding = 0) readonly buffer Rotated { float rotated[]; };
layout(set = 0, binding = 1) writeonly buffer Image { uint pixels[]; };
layout(push_constant) uniform Push {
  uint width, height;
  uint rows, cols;
  uint cell;            // pixels per cell
  uint left, top;       // where the grid starts
} push;

uint pack(vec3 c) {
  const uvec3 u = uvec3(round(clamp(c, 0.0, 1.0) * 255.0));
  return u.r | (u.g << 8) | (u.b << 16) | (255u << 24);
}

// Coverage of a segment from a to b, `half_width` pixels thick, at point p (1 inside, 0
// outside, a one-pixel ramp between, for smooth edges).
float segment(vec2 p, vec2 a, vec2 b, float half_width) {
  const vec2 ab = b - a;
  const float t = clamp(dot(p - a, ab) / dot(ab, ab), 0.0, 1.0);
  return clamp(half_width + 0.5 - length(p - (a + t * ab)), 0.0, 1.0);
}

void main() {
  const uvec2 p = gl_GlobalInvocationID.xy;
  if (p.x >= push.width || p.y >= push.height) return;
  vec3 color = vec3(1.0);
  if (p.x >= push.left && p.y >= push.top) {
    const uint c = (p.x - push.left) / push.cell, r = (p.y - push.top) / push.cell;
    if (c < push.cols && r < push.rows) {
      const float radius = 0.42 * float(push.cell);
      const vec2 centre = vec2(push.left + c * push.cell, push.top + r * push.cell) + 0.5 * float(push.cell);
      const vec2 at = vec2(p) + 0.5;
      const float ring = clamp(1.0 - abs(length(at - centre) - radius), 0.0, 1.0);
      color = mix(color, vec3(0.8), ring);
      const uint i = r * 2u * push.cols + 2u * c;
      const vec2 dir = vec2(rotated[i], -rotated[i + 1]);
      color = mix(color, vec3(0.25), segment(at, centre, centre - 0.8 * radius * dir, 1.5));
      color = mix(color, vec3(0.85, 0.1, 0.1), segment(at, centre, centre + 0.9 * radius * dir, 1.5));
    }
  }
  pixels[p.y * push.width + p.x] = pack(color);
}
